//! The session's timers as actix delayed callbacks: the FSM chooses durations, this arms and cancels
//! them, and an expiry comes back to the FSM as `TimerExpired`.

use std::collections::HashMap;
use std::time::Duration;

use actix::{AsyncContext, Context, SpawnHandle};
use anycastd::bgp::fsm::{Event, Timer};
use anycastd::bgp::speaker::Input;

use super::PeerActor;

/// The armed timers of one PeerActor.
#[derive(Default)]
pub struct Timers {
    armed: HashMap<Timer, SpawnHandle>,
}

impl Timers {
    /// Arms `timer` to expire after `after`, replacing an armed one.
    pub fn arm(&mut self, timer: Timer, after: Duration, ctx: &mut Context<PeerActor>) {
        self.disarm(timer, ctx);
        let handle = ctx.run_later(after, move |actor, ctx| {
            actor.timers.armed.remove(&timer);
            actor.feed(Input::Event(Event::TimerExpired(timer)), ctx);
        });
        self.armed.insert(timer, handle);
    }

    /// Cancels `timer` if it is armed.
    pub fn disarm(&mut self, timer: Timer, ctx: &mut Context<PeerActor>) {
        if let Some(handle) = self.armed.remove(&timer) {
            ctx.cancel_future(handle);
        }
    }

    /// Cancels every timer.
    pub fn clear(&mut self, ctx: &mut Context<PeerActor>) {
        for (_, handle) in self.armed.drain() {
            ctx.cancel_future(handle);
        }
    }
}
