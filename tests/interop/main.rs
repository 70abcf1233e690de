//! End-to-end tests: our daemon against real routers (BIRD 2, gobgpd) in network namespaces.
