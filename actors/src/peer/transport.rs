//! The byte side of a session: a `tokio_util` decoder that cuts the stream into BGP messages with
//! [`codec::frame_len`] only (no negotiated context needed), and a writer task that owns the write half,
//! coalesces queued messages, and flushes and shuts the connection down when asked to close.

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{mpsc, oneshot};
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

/// The sending side of one connection. Dropping it closes the connection after what was queued has
/// been written.
pub struct Writer {
    queue: mpsc::UnboundedSender<Command>,
}

/// The task that writes for a [`Writer`]; run it on the actor's context. It ends with `Ok` after a
/// close, or with the first write error.
pub type WriterTask =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), TransportError>>>>;

impl Writer {
    /// A writer for `half` and the task that performs its writes.
    pub fn new(half: OwnedWriteHalf) -> (Writer, WriterTask) {
        let (queue, commands) = mpsc::unbounded_channel();
        (Writer { queue }, Box::pin(run(half, commands)))
    }

    /// Queues one encoded message.
    pub fn write(&self, message: Bytes) {
        // A send error means the task already ended with an error, which the actor hears about.
        let _ = self.queue.send(Command::Write(message));
    }

    /// Flushes what was queued, shuts the connection down, then signals `done` (if given).
    pub fn close(self, done: Option<oneshot::Sender<()>>) {
        let _ = self.queue.send(Command::Close(done));
    }
}

async fn run(
    mut half: OwnedWriteHalf,
    mut commands: mpsc::UnboundedReceiver<Command>,
) -> Result<(), TransportError> {
    let mut batch = BytesMut::new();
    while let Some(command) = commands.recv().await {
        let mut close = None;
        match command {
            Command::Write(bytes) => batch.extend_from_slice(&bytes),
            Command::Close(done) => close = Some(done),
        }
        // Coalesce whatever else is already queued into one write.
        while close.is_none() {
            match commands.try_recv() {
                Ok(Command::Write(bytes)) => batch.extend_from_slice(&bytes),
                Ok(Command::Close(done)) => close = Some(done),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            half.write_all(&batch)
                .await
                .map_err(TransportError::Write)?;
            batch.clear();
        }
        if let Some(done) = close {
            let result = finish(&mut half).await;
            if let Some(done) = done {
                let _ = done.send(());
            }
            return result;
        }
    }
    // The Writer was dropped: close after what was written.
    finish(&mut half).await
}

async fn finish(half: &mut OwnedWriteHalf) -> Result<(), TransportError> {
    half.flush().await.map_err(TransportError::Write)?;
    // The peer may already have closed: a failed shutdown changes nothing for us.
    let _ = half.shutdown().await;
    Ok(())
}
