//! The byte side of a session: a `tokio_util` decoder that cuts the stream into BGP messages with
//! [`codec::frame_len`] only (no negotiated context needed), and a writer task that owns the write half,
//! coalesces queued messages, counts the bytes the socket took, and flushes and shuts the connection
//! down when asked to close (or resets it when the peer does not take the rest in time).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::codec::Decoder;

use anycastd::bgp::codec::{self, HeaderError};

/// An I/O failure of the session's connection.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Reading from the socket failed.
    #[error("read: {0}")]
    Read(#[source] std::io::Error),
    /// Writing to the socket failed.
    #[error("write: {0}")]
    Write(#[source] std::io::Error),
    /// The bytes do not frame as BGP messages (bad marker or length, RFC 4271 §6.1).
    #[error("framing: {0}")]
    Header(HeaderError),
}

impl From<std::io::Error> for TransportError {
    fn from(error: std::io::Error) -> Self {
        TransportError::Read(error)
    }
}

/// Splits the byte stream into whole BGP messages (header included).
#[derive(Debug, Default, Clone, Copy)]
pub struct Framer;

impl Decoder for Framer {
    type Item = BytesMut;
    type Error = TransportError;

    fn decode(&mut self, buffer: &mut BytesMut) -> Result<Option<BytesMut>, TransportError> {
        match codec::frame_len(buffer) {
            Ok(Some(len)) if len <= buffer.len() => Ok(Some(buffer.split_to(len))),
            Ok(Some(len)) => {
                buffer.reserve(len - buffer.len());
                Ok(None)
            }
            Ok(None) => Ok(None),
            Err(error) => Err(TransportError::Header(error)),
        }
    }
}

enum Command {
    Write(Bytes),
    Close(Option<oneshot::Sender<()>>),
}

/// How long a closing connection may take to hand over what was queued before it is reset: a
/// neighbour that does not read cannot hold the connection, its memory or a stop.
pub const CLOSE_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// A write buffer larger than this is given back once written.
const KEEP_BUFFER: usize = 64 * 1024;

/// The sending side of one connection. Dropping it closes the connection after what was queued has
/// been written, or resets it after [`CLOSE_FLUSH_TIMEOUT`].
pub struct Writer {
    queue: mpsc::UnboundedSender<Command>,
    /// Set on close; dropping it (with the writer) counts as a close too.
    closing: watch::Sender<bool>,
    written: Arc<AtomicU64>,
}

/// The task that writes for a [`Writer`]; run it on the actor's context. It ends with `Ok` after a
/// close, or with the first write error.
pub type WriterTask =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), TransportError>>>>;

impl Writer {
    /// A writer for `half` and the task that performs its writes.
    pub fn new(half: OwnedWriteHalf) -> (Writer, WriterTask) {
        let (queue, commands) = mpsc::unbounded_channel();
        let (closing, closed) = watch::channel(false);
        let written = Arc::new(AtomicU64::new(0));
        let task = Box::pin(run(half, commands, closed, Arc::clone(&written)));
        (
            Writer {
                queue,
                closing,
                written,
            },
            task,
        )
    }

    /// Queues one encoded message.
    pub fn write(&self, message: Bytes) {
        // A send error means the task already ended with an error, which the actor hears about.
        let _ = self.queue.send(Command::Write(message));
    }

    /// How many bytes the socket has taken from this writer so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Flushes what was queued, shuts the connection down, then signals `done` (if given). What
    /// cannot be handed over within [`CLOSE_FLUSH_TIMEOUT`] is dropped and the connection reset.
    pub fn close(self, done: Option<oneshot::Sender<()>>) {
        let _ = self.closing.send(true);
        let _ = self.queue.send(Command::Close(done));
    }
}

async fn run(
    mut half: OwnedWriteHalf,
    mut commands: mpsc::UnboundedReceiver<Command>,
    mut closed: watch::Receiver<bool>,
    written: Arc<AtomicU64>,
) -> Result<(), TransportError> {
    // Once a close is asked for (or the Writer is gone), the rest must be handed over in time.
    let deadline = async move {
        let _ = closed.wait_for(|closing| *closing).await;
        tokio::time::sleep(CLOSE_FLUSH_TIMEOUT).await;
    };
    tokio::pin!(deadline);
    let mut batch = BytesMut::new();
    let mut done = None;
    loop {
        let mut close = false;
        tokio::select! {
            command = commands.recv() => match command {
                Some(Command::Write(bytes)) => batch.extend_from_slice(&bytes),
                Some(Command::Close(notify)) => (close, done) = (true, notify),
                // The Writer was dropped: close after what was written.
                None => close = true,
            },
            () = &mut deadline => return give_up(&half, done),
        }
        // Coalesce whatever else is already queued into one write.
        while !close {
            match commands.try_recv() {
                Ok(Command::Write(bytes)) => batch.extend_from_slice(&bytes),
                Ok(Command::Close(notify)) => (close, done) = (true, notify),
                Err(_) => break,
            }
        }
        let mut offset = 0;
        while let Some(rest) = batch.get(offset..).filter(|rest| !rest.is_empty()) {
            tokio::select! {
                result = half.write(rest) => {
                    let n = result.map_err(TransportError::Write)?;
                    if n == 0 {
                        return Err(TransportError::Write(std::io::ErrorKind::WriteZero.into()));
                    }
                    offset += n;
                    written.fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
                }
                () = &mut deadline => return give_up(&half, done),
            }
        }
        batch.clear();
        if batch.capacity() > KEEP_BUFFER {
            // A large table or a slow peer grew the buffer: give the memory back.
            batch = BytesMut::new();
        }
        if close {
            let result = finish(&mut half).await;
            if let Some(done) = done {
                let _ = done.send(());
            }
            return result;
        }
    }
}

/// The peer did not take what was queued in time: drop it and reset the connection (no linger), so
/// neither the bytes nor the socket outlive the session.
fn give_up(half: &OwnedWriteHalf, done: Option<oneshot::Sender<()>>) -> Result<(), TransportError> {
    let _ = socket2::SockRef::from(half.as_ref()).set_linger(Some(Duration::ZERO));
    if let Some(done) = done {
        let _ = done.send(());
    }
    Ok(())
}

async fn finish(half: &mut OwnedWriteHalf) -> Result<(), TransportError> {
    half.flush().await.map_err(TransportError::Write)?;
    // The peer may already have closed: a failed shutdown changes nothing for us.
    let _ = half.shutdown().await;
    Ok(())
}
