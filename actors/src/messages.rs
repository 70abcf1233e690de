//! Messages that several actors answer, so that no actor module needs another one for them.

use actix::Message;

/// Asks an actor to stop (its children and in-flight probes are dropped with it).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Stop;

/// Liveness probe: an actor that answers is not stuck (`/healthz`, the watchdog).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Ping;
