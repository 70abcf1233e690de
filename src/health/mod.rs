//! Health decisions: check debounce and service strategies.
