//! Helpers of the hostile tests: the real binary and a raw BGP neighbour.
#![allow(dead_code)]

pub mod daemon;
