//! `dns_lookup`: asks the configured `resolver`, and only it, for `query` (RFC 1035 §4), over UDP
//! (retried over TCP when the answer is truncated, §4.2.1) or TCP (§4.2.2, two-byte length prefix).
//! No `/etc/hosts`, no search domains, no system configuration: the name is fully qualified as written.
//!
//! Pass: the answer section holds at least one record of the asked type (for `host`: A or AAAA, like
//! Go's `LookupHost`) and every `expect` value. NXDOMAIN, SERVFAIL and the other rcodes fail with the
//! rcode named; NOERROR with no matching record fails as an empty answer.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use anycastd::config::model::{DnsLookupSpec, DnsProtocol, DnsRecordType};
use anycastd::health::Outcome;
use hickory_resolver::proto::op::{Message, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use super::retry::{self, AttemptError};

/// Largest UDP answer we accept (EDNS is not sent, so 512 is the RFC 1035 limit; extra room is harmless).
const UDP_BUFFER: usize = 4096;

/// Runs one `dns_lookup` probe.
pub(super) async fn probe(spec: &DnsLookupSpec) -> Outcome {
    let name = match Name::from_ascii(&spec.query) {
        Ok(mut name) => {
            name.set_fqdn(true);
            name
        }
        Err(e) => {
            return Outcome::Inconclusive(format!("query {:?} is not a DNS name: {e}", spec.query));
        }
    };
    retry::run(&spec.retry, || attempt(spec, &name)).await
}

fn record_types(kind: DnsRecordType) -> &'static [RecordType] {
    match kind {
        DnsRecordType::A => &[RecordType::A],
        DnsRecordType::Aaaa => &[RecordType::AAAA],
        DnsRecordType::Host => &[RecordType::A, RecordType::AAAA],
        DnsRecordType::Cname => &[RecordType::CNAME],
        DnsRecordType::Mx => &[RecordType::MX],
        DnsRecordType::Ns => &[RecordType::NS],
        DnsRecordType::Txt => &[RecordType::TXT],
        DnsRecordType::Srv => &[RecordType::SRV],
        DnsRecordType::Soa => &[RecordType::SOA],
        DnsRecordType::Ptr => &[RecordType::PTR],
    }
}

async fn attempt(spec: &DnsLookupSpec, name: &Name) -> Result<(), AttemptError> {
    let mut answers: Vec<RData> = Vec::new();
    let mut first_error = None;
    for &record_type in record_types(spec.record_type) {
        match query(spec, name, record_type).await {
            Ok(found) => answers.extend(found),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if answers.is_empty() {
        return Err(first_error.unwrap_or_else(|| AttemptError::Fail(format!("{name}: no answer"))));
    }
    let present: Vec<String> = answers
        .iter()
        .map(|data| normalise(&data.to_string()))
        .collect();
    let missing: Vec<&String> = spec
        .expect
        .iter()
        .filter(|want| !present.contains(&normalise(want)))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(AttemptError::Fail(format!(
            "{name}: expected {} not in the answer [{}]",
            missing
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            present.join(", ")
        )))
    }
}

/// Presentation form for comparison: case-insensitive names without the trailing dot, canonical
/// IP addresses, TXT without quotes.
fn normalise(text: &str) -> String {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse::<IpAddr>() {
        return ip.to_string();
    }
    text.trim_end_matches('.').to_ascii_lowercase()
}

/// One question, one answer: the records of `record_type` in the answer section.
async fn query(
    spec: &DnsLookupSpec,
    name: &Name,
    record_type: RecordType,
) -> Result<Vec<RData>, AttemptError> {
    let id: u16 = rand::random();
    let mut message = Message::query();
    message.metadata.id = id;
    message.metadata.recursion_desired = true;
    message.add_query(Query::query(name.clone(), record_type));
    let request = message.to_vec().map_err(|e| {
        AttemptError::Inconclusive(format!("cannot encode the query for {name}: {e}"))
    })?;
    let response = match spec.protocol {
        DnsProtocol::Udp => {
            let response = exchange_udp(spec.resolver, id, &request).await?;
            if response.metadata.truncation {
                exchange_tcp(spec.resolver, id, &request).await?
            } else {
                response
            }
        }
        DnsProtocol::Tcp => exchange_tcp(spec.resolver, id, &request).await?,
    };
    let rcode = response.metadata.response_code;
    if rcode != ResponseCode::NoError {
        return Err(AttemptError::Fail(format!(
            "{name} {record_type}: {} ({rcode})",
            format!("{rcode:?}").to_ascii_uppercase()
        )));
    }
    let found: Vec<RData> = response
        .answers
        .iter()
        .filter(|record: &&Record| record.record_type() == record_type)
        .map(|record| record.data.clone())
        .collect();
    if found.is_empty() {
        return Err(AttemptError::Fail(format!(
            "{name} {record_type}: empty answer (NOERROR)"
        )));
    }
    Ok(found)
}

fn unspecified_for(server: SocketAddr) -> SocketAddr {
    match server {
        SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    }
}

fn decode(bytes: &[u8], id: u16) -> Option<Message> {
    Message::from_vec(bytes)
        .ok()
        .filter(|m| m.metadata.id == id)
}

async fn exchange_udp(
    server: SocketAddr,
    id: u16,
    request: &[u8],
) -> Result<Message, AttemptError> {
    let local = unspecified_for(server);
    let socket = UdpSocket::bind(local).await.map_err(|e| {
        AttemptError::Inconclusive(format!("cannot bind a UDP socket on {local}: {e}"))
    })?;
    socket
        .connect(server)
        .await
        .map_err(|e| AttemptError::Fail(format!("UDP to {server}: {e}")))?;
    socket
        .send(request)
        .await
        .map_err(|e| AttemptError::Fail(format!("UDP send to {server}: {e}")))?;
    let mut buffer = vec![0u8; UDP_BUFFER];
    loop {
        let n = socket
            .recv(&mut buffer)
            .await
            .map_err(|e| AttemptError::Fail(format!("UDP from {server}: {e}")))?;
        // Answers to another query id (a late answer to an earlier try) are skipped.
        if let Some(message) = buffer.get(..n).and_then(|bytes| decode(bytes, id)) {
            return Ok(message);
        }
    }
}

async fn exchange_tcp(
    server: SocketAddr,
    id: u16,
    request: &[u8],
) -> Result<Message, AttemptError> {
    let fail =
        |what: &str, e: std::io::Error| AttemptError::Fail(format!("TCP {what} {server}: {e}"));
    let mut stream = TcpStream::connect(server)
        .await
        .map_err(|e| fail("connect to", e))?;
    let length = u16::try_from(request.len())
        .map_err(|_| AttemptError::Inconclusive("query longer than 65535 bytes".to_owned()))?;
    let mut framed = Vec::with_capacity(request.len() + 2);
    framed.extend_from_slice(&length.to_be_bytes());
    framed.extend_from_slice(request);
    stream
        .write_all(&framed)
        .await
        .map_err(|e| fail("write to", e))?;
    loop {
        let length = stream.read_u16().await.map_err(|e| fail("read from", e))?;
        let mut buffer = vec![0u8; usize::from(length)];
        stream
            .read_exact(&mut buffer)
            .await
            .map_err(|e| fail("read from", e))?;
        if let Some(message) = decode(&buffer, id) {
            return Ok(message);
        }
    }
}
