//! Tests: fsm.
