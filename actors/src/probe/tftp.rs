//! `tftp_rrq`: downloads `file` from `host:port` with one RFC 1350 read request per try (octet mode)
//! and checks its size and SHA-256.
//!
//! The client is ours (about a page) rather than `tftp_client`: that crate blocks a thread, which a
//! dropped probe cannot stop, keeps the whole file in memory, and panics on an ERROR packet whose
//! message is not UTF-8. Here the socket lives in the future, the file is hashed as it arrives and
//! never kept, and its size is capped.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anycastd::config::model::TftpRrqSpec;
use anycastd::health::Outcome;
use sha2::{Digest, Sha256};
use tokio::net::UdpSocket;

use super::retry::{self, AttemptError};

/// RFC 1350 §5 opcodes.
const RRQ: u16 = 1;
const DATA: u16 = 3;
const ACK: u16 = 4;
const ERROR: u16 = 5;
/// RFC 1350 §2: data blocks hold 512 bytes; a shorter block ends the transfer.
const BLOCK: usize = 512;
/// Resend the last packet when nothing arrives for this long (the try's `timeout` bounds the total).
const RETRANSMIT: Duration = Duration::from_millis(1000);
/// Largest file a check downloads.
const MAX_SIZE: u64 = 256 * 1024 * 1024;

/// Runs one `tftp_rrq` probe.
pub(super) async fn probe(spec: &TftpRrqSpec) -> Outcome {
    retry::run(&spec.retry, || attempt(spec)).await
}

async fn attempt(spec: &TftpRrqSpec) -> Result<(), AttemptError> {
    let (size, digest) = download(spec).await?;
    if let Some(min) = spec.min_size {
        if size < min {
            return Err(AttemptError::Fail(format!(
                "{}: {size} bytes, expected at least {min}",
                spec.file
            )));
        }
    }
    if let Some(expected) = &spec.expected_sha256 {
        if !digest.eq_ignore_ascii_case(expected) {
            return Err(AttemptError::Fail(format!(
                "{}: checksum mismatch: expected `{expected}` != actual `{digest}`",
                spec.file
            )));
        }
    }
    Ok(())
}

fn fail(text: String) -> AttemptError {
    AttemptError::Fail(text)
}

/// Reads the whole file; returns its size and lower-case hex SHA-256.
async fn download(spec: &TftpRrqSpec) -> Result<(u64, String), AttemptError> {
    let server = tokio::net::lookup_host((spec.host.as_str(), spec.port))
        .await
        .map_err(|e| fail(format!("cannot resolve {}: {e}", spec.host)))?
        .next()
        .ok_or_else(|| fail(format!("{} resolved to no address", spec.host)))?;
    let local = match server {
        SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    };
    let socket = UdpSocket::bind(local).await.map_err(|e| {
        AttemptError::Inconclusive(format!("cannot bind a UDP socket on {local}: {e}"))
    })?;

    // RFC 1350 §5: | 01 | Filename | 0 | Mode | 0 |
    let mut last_sent = RRQ.to_be_bytes().to_vec();
    last_sent.extend_from_slice(spec.file.as_bytes());
    last_sent.push(0);
    last_sent.extend_from_slice(b"octet\0");
    let mut destination = server;
    // The server answers from a new port (its transfer ID, §4); it is fixed by the first DATA.
    let mut peer: Option<SocketAddr> = None;
    let mut expected: u16 = 1;
    let mut size: u64 = 0;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; BLOCK + 4];
    socket
        .send_to(&last_sent, destination)
        .await
        .map_err(|e| fail(format!("send to {server}: {e}")))?;
    loop {
        let (n, from) = match tokio::time::timeout(RETRANSMIT, socket.recv_from(&mut buffer)).await
        {
            Ok(Ok(received)) => received,
            Ok(Err(e)) => return Err(fail(format!("receive from {server}: {e}"))),
            Err(_) => {
                socket
                    .send_to(&last_sent, destination)
                    .await
                    .map_err(|e| fail(format!("send to {server}: {e}")))?;
                continue;
            }
        };
        if peer.is_some_and(|p| p != from) || from.ip() != server.ip() {
            continue; // not our transfer (§4: another TID)
        }
        let packet = buffer.get(..n).unwrap_or_default();
        let opcode = be16(packet.get(..2));
        let block = be16(packet.get(2..4));
        match (opcode, block) {
            (Some(ERROR), code) => {
                let text = packet.get(4..).unwrap_or_default();
                let text = text.split(|b| *b == 0).next().unwrap_or_default();
                return Err(fail(format!(
                    "{server}: TFTP error {}: {}",
                    code.unwrap_or_default(),
                    String::from_utf8_lossy(text)
                )));
            }
            (Some(DATA), Some(number)) => {
                peer = Some(from);
                destination = from;
                let data = packet.get(4..).unwrap_or_default();
                if number == expected {
                    size += data.len() as u64;
                    if size > MAX_SIZE {
                        return Err(fail(format!("{}: larger than {MAX_SIZE} bytes", spec.file)));
                    }
                    hasher.update(data);
                    expected = expected.wrapping_add(1);
                } else if number != expected.wrapping_sub(1) {
                    continue; // neither the next block nor a repeat of the last one
                }
                // Acknowledge the block (again, for a repeat: our ACK was lost).
                last_sent = ACK.to_be_bytes().to_vec();
                last_sent.extend_from_slice(&number.to_be_bytes());
                socket
                    .send_to(&last_sent, destination)
                    .await
                    .map_err(|e| fail(format!("send to {from}: {e}")))?;
                if data.len() >= BLOCK {
                    continue;
                }
                let digest: String = hasher
                    .finalize()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                return Ok((size, digest));
            }
            _ => {
                return Err(fail(format!(
                    "{server}: unexpected packet (opcode {opcode:?})"
                )));
            }
        }
    }
}

fn be16(bytes: Option<&[u8]>) -> Option<u16> {
    bytes
        .and_then(|b| <[u8; 2]>::try_from(b).ok())
        .map(u16::from_be_bytes)
}
