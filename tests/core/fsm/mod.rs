//! Tests of the session FSM (`table`: every state x event against a golden file) and of the
//! per-peer Adj-RIB-Out (`rib_out`: desired sequences -> exact UPDATEs).

mod properties;
mod rib_out;
mod send_hold;
mod speaker;
mod table;
