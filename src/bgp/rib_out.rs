//! Per-peer Adj-RIB-Out.
