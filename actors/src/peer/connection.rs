//! The PeerActor's TCP connection: connecting out, taking a connection, reading frames into the
//! speaker, writing messages, reporting how much of the output the peer has taken, closing.
//! Reports from a connection already replaced are ignored.

use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use actix::prelude::*;
use anycastd::bgp::codec::{DecodeContext, DecodeError, ErrorAction, Message};
use anycastd::bgp::fsm::{DecodeFailure, Event};
use anycastd::bgp::speaker::Input;
use bytes::BytesMut;
use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio_util::codec::FramedRead;

use super::PeerActor;
use super::socket;
use super::transport::{Framer, TransportError, Writer};

/// What the reader of one connection reports.
pub(super) enum Incoming {
    Frame(u64, BytesMut),
    Failed(u64, TransportError),
    Closed(u64),
}

/// How often the output of a connection is measured and reported to the speaker (RFC 9687
/// SendHoldTimer, advertised counts, ROUTE-REFRESH coalescing).
pub const OUTPUT_REPORT_INTERVAL: Duration = Duration::from_millis(500);

/// The connection in use.
pub(super) struct Connection {
    writer: Writer,
    reader: SpawnHandle,
    /// The periodic output report.
    report: SpawnHandle,
    /// A second descriptor of the socket, to ask the kernel what the peer has not acknowledged.
    probe: Option<OwnedFd>,
    /// Bytes handed to the writer.
    handed: u64,
}

impl PeerActor {
    pub(super) fn connect(&mut self, ctx: &mut Context<Self>) {
        if let Some(handle) = self.connecting.take() {
            ctx.cancel_future(handle);
        }
        let (remote, local, options, timeout) = (
            self.setup.remote,
            self.setup.local_address,
            self.setup.socket.clone(),
            self.setup.connect_timeout,
        );
        log::debug!(peer = self.setup.name.as_str(); "BGP session {}: connecting to {remote} from {local:?}", self.setup.name);
        let attempt = async move { socket::connect(remote, local, &options, timeout).await };
        let generation = self.generation;
        let handle = ctx.spawn(attempt.into_actor(self).map(move |result, actor, ctx| {
            if actor.generation != generation {
                return;
            }
            actor.connecting = None;
            match result {
                Ok(stream) => actor.attach(stream, ctx),
                Err(error) => {
                    log::info!(peer = actor.setup.name.as_str(); "BGP session {}: {error}", actor.setup.name);
                    actor.feed(Input::Event(Event::TcpFailed), ctx);
                }
            }
        }));
        self.connecting = Some(handle);
    }

    /// Takes `stream` as the session's connection and tells the FSM.
    pub(super) fn attach(&mut self, stream: TcpStream, ctx: &mut Context<Self>) {
        let local = match stream.local_addr() {
            Ok(local) => local,
            Err(error) => {
                log::warn!(peer = self.setup.name.as_str(); "BGP session {}: connection unusable: {error}", self.setup.name);
                self.feed(Input::Event(Event::TcpFailed), ctx);
                return;
            }
        };
        self.generation += 1;
        let generation = self.generation;
        let (read, write) = stream.into_split();
        let frames = FramedRead::new(read, Framer)
            .map(move |item| match item {
                Ok(frame) => Incoming::Frame(generation, frame),
                Err(error) => Incoming::Failed(generation, error),
            })
            .chain(futures_util::stream::once(async move {
                Incoming::Closed(generation)
            }));
        let reader = ctx.add_stream(frames);
        let probe = match write.as_ref().as_fd().try_clone_to_owned() {
            Ok(fd) => Some(fd),
            Err(error) => {
                log::warn!(peer = self.setup.name.as_str(); "BGP session {}: cannot measure what the peer acknowledged, counting what the socket took: {error}", self.setup.name);
                None
            }
        };
        let (writer, task) = Writer::new(write);
        ctx.spawn(task.into_actor(self).map(move |result, actor, ctx| {
            if let Err(error) = result
                && actor.generation == generation
            {
                log::info!(peer = actor.setup.name.as_str(); "BGP session {}: {error}", actor.setup.name);
                actor.drop_connection(ctx);
                actor.feed(Input::Event(Event::TcpFailed), ctx);
            }
        }));
        let report = ctx.run_interval(OUTPUT_REPORT_INTERVAL, |actor, ctx| {
            actor.report_output(ctx)
        });
        self.connection = Some(Connection {
            writer,
            reader,
            report,
            probe,
            handed: 0,
        });
        log::debug!(peer = self.setup.name.as_str(); "BGP session {}: connected {local} -> {}", self.setup.name, self.setup.remote);
        self.feed(Input::Connected { local: local.ip() }, ctx);
    }

    /// Closes the connection: queued messages are flushed first.
    pub(super) fn close(&mut self, ctx: &mut Context<Self>) {
        if let Some(handle) = self.connecting.take() {
            ctx.cancel_future(handle);
        }
        self.generation += 1;
        match self.connection.take() {
            Some(connection) => {
                ctx.cancel_future(connection.reader);
                ctx.cancel_future(connection.report);
                connection.writer.close(self.close_notify.take());
            }
            None => {
                self.close_notify.take();
            }
        }
    }

    /// Forgets a connection that already failed.
    fn drop_connection(&mut self, ctx: &mut Context<Self>) {
        self.generation += 1;
        if let Some(connection) = self.connection.take() {
            ctx.cancel_future(connection.reader);
            ctx.cancel_future(connection.report);
        }
    }

    /// Tells the speaker how much of the output the peer has taken: the bytes the socket took,
    /// less those the kernel still holds unacknowledged. Where the kernel cannot say, what the
    /// socket took counts as taken.
    fn report_output(&mut self, ctx: &mut Context<Self>) {
        let Some(connection) = &self.connection else {
            return;
        };
        let measured = connection
            .probe
            .as_ref()
            .map(|probe| crate::sys::unacknowledged(probe.as_fd()));
        let unacknowledged = match measured {
            Some(Ok(bytes)) => bytes,
            Some(Err(error)) => {
                log::debug!(peer = self.setup.name.as_str(); "BGP session {}: cannot measure the output: {error}", self.setup.name);
                0
            }
            None => 0,
        };
        let acked = connection.writer.written().saturating_sub(unacknowledged);
        let unsent = connection.handed.saturating_sub(acked);
        self.feed(Input::Transport { acked, unsent }, ctx);
    }

    pub(super) fn send(&mut self, message: &Message) {
        let context = self.speaker.encode_context();
        let Some(connection) = &mut self.connection else {
            return;
        };
        let mut out = BytesMut::with_capacity(message.encoded_len(&context));
        message.encode(&context, &mut out);
        connection.handed = connection
            .handed
            .saturating_add(u64::try_from(out.len()).unwrap_or(u64::MAX));
        connection.writer.write(out.freeze());
        self.metrics.sent(message.kind());
        if let Message::Notification(notification) = message {
            log::warn!(peer = self.setup.name.as_str(); "BGP session {}: sent NOTIFICATION {notification}", self.setup.name);
        }
    }

    fn on_frame(&mut self, frame: &[u8], ctx: &mut Context<Self>) {
        let context: DecodeContext = self.speaker.decode_context();
        match Message::decode(frame, &context) {
            Ok(message) => {
                self.metrics.received(message.kind());
                if let Message::Notification(notification) = &message {
                    log::warn!(peer = self.setup.name.as_str(); "BGP session {}: received NOTIFICATION {notification}", self.setup.name);
                }
                self.feed(Input::Event(Event::Received(message)), ctx);
            }
            Err(error) => self.decode_failed(&error, ctx),
        }
    }

    fn decode_failed(&mut self, error: &DecodeError, ctx: &mut Context<Self>) {
        log::warn!(peer = self.setup.name.as_str(); "BGP session {}: bad message: {error}", self.setup.name);
        let failure = DecodeFailure {
            notification: error.notification(),
            reset: error.action() == ErrorAction::ResetSession,
        };
        self.feed(Input::Event(Event::DecodeFailed(failure)), ctx);
    }
}

impl StreamHandler<Incoming> for PeerActor {
    fn handle(&mut self, item: Incoming, ctx: &mut Self::Context) {
        match item {
            Incoming::Frame(generation, frame) if generation == self.generation => {
                self.on_frame(&frame, ctx)
            }
            Incoming::Failed(generation, TransportError::Header(error))
                if generation == self.generation =>
            {
                // A bad marker or length (RFC 4271 §6.1): the FSM answers with its NOTIFICATION, which
                // still goes out on this connection before it closes.
                self.decode_failed(&DecodeError::from(error), ctx);
            }
            Incoming::Failed(generation, error) if generation == self.generation => {
                log::info!(peer = self.setup.name.as_str(); "BGP session {}: {error}", self.setup.name);
                self.drop_connection(ctx);
                self.feed(Input::Event(Event::TcpFailed), ctx);
            }
            Incoming::Closed(generation) if generation == self.generation => {
                log::info!(peer = self.setup.name.as_str(); "BGP session {}: connection closed by the peer", self.setup.name);
                self.drop_connection(ctx);
                self.feed(Input::Event(Event::TcpFailed), ctx);
            }
            _ => {} // from a connection already closed
        }
    }

    fn finished(&mut self, _ctx: &mut Self::Context) {
        // The end of a connection arrives as `Incoming::Closed`; the actor lives on.
    }
}
