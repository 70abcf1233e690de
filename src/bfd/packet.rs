//! BFD Control packets on the wire (RFC 5880 §4.1). Bytes in, [`Packet`] out, and back: no I/O, no
//! clock, no panic on any input (`tests/fuzz` runs [`Packet::decode`] on arbitrary bytes).
//!
//! [`Packet::decode`] applies the reception checks of RFC 5880 §6.8.6 that need no session: version,
//! length, detect multiplier, the Multipoint bit, My Discriminator and the authentication section's
//! shape. The checks that need a session (Your Discriminator, authentication in use) are the
//! session's, in [`super::Session`].
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

/// The only version RFC 5880 defines.
pub const VERSION: u8 = 1;
/// The length of a Control packet without an authentication section.
pub const MANDATORY_LEN: usize = 24;

/// A session state as carried in the Sta field (RFC 5880 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// 0: administratively down; the peer must not count it as a failure.
    AdminDown,
    /// 1: down.
    Down,
    /// 2: the first half of the three-way handshake.
    Init,
    /// 3: up.
    Up,
}

impl State {
    /// All states, in wire order.
    pub const ALL: [State; 4] = [State::AdminDown, State::Down, State::Init, State::Up];

    /// The two-bit wire value.
    pub fn code(self) -> u8 {
        match self {
            State::AdminDown => 0,
            State::Down => 1,
            State::Init => 2,
            State::Up => 3,
        }
    }

    fn from_code(code: u8) -> State {
        match code & 3 {
            0 => State::AdminDown,
            1 => State::Down,
            2 => State::Init,
            _ => State::Up,
        }
    }

    /// Lower-case name, for logs, metrics and `/status`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::AdminDown => "admin_down",
            State::Down => "down",
            State::Init => "init",
            State::Up => "up",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Diagnostic field (RFC 5880 §4.1): why the sender's session last left Up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Diagnostic {
    /// 0
    None,
    /// 1
    ControlDetectionTimeExpired,
    /// 2
    EchoFunctionFailed,
    /// 3
    NeighborSignaledSessionDown,
    /// 4
    ForwardingPlaneReset,
    /// 5
    PathDown,
    /// 6
    ConcatenatedPathDown,
    /// 7
    AdministrativelyDown,
    /// 8
    ReverseConcatenatedPathDown,
    /// 9..=31, reserved: kept so that a packet re-encodes as it came.
    Reserved(u8),
}

impl Diagnostic {
    /// The five-bit wire value.
    pub fn code(self) -> u8 {
        match self {
            Diagnostic::None => 0,
            Diagnostic::ControlDetectionTimeExpired => 1,
            Diagnostic::EchoFunctionFailed => 2,
            Diagnostic::NeighborSignaledSessionDown => 3,
            Diagnostic::ForwardingPlaneReset => 4,
            Diagnostic::PathDown => 5,
            Diagnostic::ConcatenatedPathDown => 6,
            Diagnostic::AdministrativelyDown => 7,
            Diagnostic::ReverseConcatenatedPathDown => 8,
            Diagnostic::Reserved(code) => code & 0x1f,
        }
    }

    fn from_code(code: u8) -> Diagnostic {
        match code & 0x1f {
            0 => Diagnostic::None,
            1 => Diagnostic::ControlDetectionTimeExpired,
            2 => Diagnostic::EchoFunctionFailed,
            3 => Diagnostic::NeighborSignaledSessionDown,
            4 => Diagnostic::ForwardingPlaneReset,
            5 => Diagnostic::PathDown,
            6 => Diagnostic::ConcatenatedPathDown,
            7 => Diagnostic::AdministrativelyDown,
            8 => Diagnostic::ReverseConcatenatedPathDown,
            other => Diagnostic::Reserved(other),
        }
    }

    /// Snake-case name, for logs and `/status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Diagnostic::None => "none",
            Diagnostic::ControlDetectionTimeExpired => "control_detection_time_expired",
            Diagnostic::EchoFunctionFailed => "echo_function_failed",
            Diagnostic::NeighborSignaledSessionDown => "neighbor_signaled_session_down",
            Diagnostic::ForwardingPlaneReset => "forwarding_plane_reset",
            Diagnostic::PathDown => "path_down",
            Diagnostic::ConcatenatedPathDown => "concatenated_path_down",
            Diagnostic::AdministrativelyDown => "administratively_down",
            Diagnostic::ReverseConcatenatedPathDown => "reverse_concatenated_path_down",
            Diagnostic::Reserved(_) => "reserved",
        }
    }
}

/// The authentication section (RFC 5880 §4.2-§4.4), parsed so that it can be refused with a reason.
///
/// ```text
///  0                   1                   2                   3
/// |   Auth Type   |   Auth Len    |  Auth Key ID  |   Reserved    |   (2-5: MD5 / SHA1)
/// |                        Sequence Number                        |
/// |                 Auth Key/Digest/Hash... (16 or 20 octets)     |
///
/// |   Auth Type   |   Auth Len    |  Auth Key ID  |  Password...  |   (1: simple password, 1-16 octets)
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication {
    /// Type 1: a cleartext password of 1 to 16 octets.
    SimplePassword {
        /// Auth Key ID.
        key_id: u8,
        /// The password.
        password: Vec<u8>,
    },
    /// Types 2-5: a keyed digest over the packet.
    Keyed {
        /// Which digest.
        kind: KeyedKind,
        /// Auth Key ID.
        key_id: u8,
        /// The Reserved octet, kept for re-encoding.
        reserved: u8,
        /// Sequence Number.
        sequence: u32,
        /// The digest: 16 octets for MD5, 20 for SHA1.
        digest: Vec<u8>,
    },
}

/// The keyed authentication types (RFC 5880 §4.3, §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyedKind {
    /// 2
    Md5,
    /// 3
    MeticulousMd5,
    /// 4
    Sha1,
    /// 5
    MeticulousSha1,
}

impl KeyedKind {
    fn code(self) -> u8 {
        match self {
            KeyedKind::Md5 => 2,
            KeyedKind::MeticulousMd5 => 3,
            KeyedKind::Sha1 => 4,
            KeyedKind::MeticulousSha1 => 5,
        }
    }

    fn digest_len(self) -> usize {
        match self {
            KeyedKind::Md5 | KeyedKind::MeticulousMd5 => 16,
            KeyedKind::Sha1 | KeyedKind::MeticulousSha1 => 20,
        }
    }
}

impl Authentication {
    /// The Auth Type field.
    pub fn type_code(&self) -> u8 {
        match self {
            Authentication::SimplePassword { .. } => 1,
            Authentication::Keyed { kind, .. } => kind.code(),
        }
    }

    fn wire_len(&self) -> usize {
        match self {
            Authentication::SimplePassword { password, .. } => 3 + password.len(),
            Authentication::Keyed { digest, .. } => 8 + digest.len(),
        }
    }

    fn decode(section: &[u8]) -> Result<Authentication, DecodeError> {
        let [kind, len, key_id, rest @ ..] = section else {
            return Err(DecodeError::AuthenticationTruncated);
        };
        if usize::from(*len) != section.len() {
            return Err(DecodeError::AuthenticationLength(*len));
        }
        let keyed = |kind: KeyedKind| -> Result<Authentication, DecodeError> {
            let [reserved, s0, s1, s2, s3, digest @ ..] = rest else {
                return Err(DecodeError::AuthenticationLength(*len));
            };
            if digest.len() != kind.digest_len() {
                return Err(DecodeError::AuthenticationLength(*len));
            }
            Ok(Authentication::Keyed {
                kind,
                key_id: *key_id,
                reserved: *reserved,
                sequence: u32::from_be_bytes([*s0, *s1, *s2, *s3]),
                digest: digest.to_vec(),
            })
        };
        match kind {
            1 if (1..=16).contains(&rest.len()) => Ok(Authentication::SimplePassword {
                key_id: *key_id,
                password: rest.to_vec(),
            }),
            1 => Err(DecodeError::AuthenticationLength(*len)),
            2 => keyed(KeyedKind::Md5),
            3 => keyed(KeyedKind::MeticulousMd5),
            4 => keyed(KeyedKind::Sha1),
            5 => keyed(KeyedKind::MeticulousSha1),
            other => Err(DecodeError::AuthenticationType(*other)),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.type_code());
        out.push(u8::try_from(self.wire_len()).unwrap_or(u8::MAX));
        match self {
            Authentication::SimplePassword { key_id, password } => {
                out.push(*key_id);
                out.extend_from_slice(password);
            }
            Authentication::Keyed {
                key_id,
                reserved,
                sequence,
                digest,
                ..
            } => {
                out.push(*key_id);
                out.push(*reserved);
                out.extend_from_slice(&sequence.to_be_bytes());
                out.extend_from_slice(digest);
            }
        }
    }
}

/// One BFD Control packet (RFC 5880 §4.1). Intervals are in microseconds, as on the wire.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
/// |                       My Discriminator                        |
/// |                      Your Discriminator                       |
/// |                    Desired Min TX Interval                    |
/// |                   Required Min RX Interval                    |
/// |                 Required Min Echo RX Interval                 |
/// |   An optional Authentication Section (A bit set) ...          |
/// ```
/// The version is always 1 and the Multipoint bit always clear (packets otherwise do not decode); the
/// Length is derived; the A bit is `authentication.is_some()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Diag: why the sender's session last went down.
    pub diagnostic: Diagnostic,
    /// Sta: the sender's session state.
    pub state: State,
    /// P: the sender asks for a packet with F set (a parameter change, §6.5).
    pub poll: bool,
    /// F: the answer to a Poll.
    pub final_: bool,
    /// C: the sender's BFD does not share fate with its control plane.
    pub control_plane_independent: bool,
    /// D: the sender wishes to run in Demand mode.
    pub demand: bool,
    /// Detect Mult.
    pub detect_mult: u8,
    /// My Discriminator: nonzero.
    pub my_discriminator: u32,
    /// Your Discriminator: zero until the sender has heard from us.
    pub your_discriminator: u32,
    /// Desired Min TX Interval, microseconds.
    pub desired_min_tx: u32,
    /// Required Min RX Interval, microseconds; zero means "send me nothing".
    pub required_min_rx: u32,
    /// Required Min Echo RX Interval, microseconds; zero: no Echo.
    pub required_min_echo_rx: u32,
    /// The authentication section, when the A bit is set.
    pub authentication: Option<Authentication>,
}

/// Why a datagram is not a Control packet we may act on (RFC 5880 §6.8.6, the session-free checks).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer than 24 octets arrived, or fewer than the Length field says.
    #[error("packet of {0} octets is shorter than its header says")]
    Truncated(usize),
    /// The Version field is not 1.
    #[error("version {0} is not 1")]
    Version(u8),
    /// The Length field is below 24 (26 with an authentication section).
    #[error("length field {0} is too small")]
    Length(u8),
    /// Detect Mult is zero.
    #[error("detect multiplier is zero")]
    ZeroDetectMult,
    /// The Multipoint bit is set.
    #[error("multipoint bit is set")]
    Multipoint,
    /// My Discriminator is zero.
    #[error("my discriminator is zero")]
    ZeroMyDiscriminator,
    /// The authentication section is shorter than its own header.
    #[error("authentication section is truncated")]
    AuthenticationTruncated,
    /// The Auth Len field does not fit the section or its type.
    #[error("authentication length {0} does not match its type")]
    AuthenticationLength(u8),
    /// An Auth Type RFC 5880 does not define.
    #[error("unknown authentication type {0}")]
    AuthenticationType(u8),
}

impl DecodeError {
    /// A short label for `anycastd_bfd_packets_dropped_total{reason}`-style counters and logs.
    pub fn as_label(&self) -> &'static str {
        match self {
            DecodeError::Truncated(_) => "truncated",
            DecodeError::Version(_) => "version",
            DecodeError::Length(_) => "length",
            DecodeError::ZeroDetectMult => "zero_detect_mult",
            DecodeError::Multipoint => "multipoint",
            DecodeError::ZeroMyDiscriminator => "zero_my_discriminator",
            DecodeError::AuthenticationTruncated
            | DecodeError::AuthenticationLength(_)
            | DecodeError::AuthenticationType(_) => "authentication",
        }
    }
}

const POLL: u8 = 0x20;
const FINAL: u8 = 0x10;
const CONTROL_PLANE_INDEPENDENT: u8 = 0x08;
const AUTHENTICATION: u8 = 0x04;
const DEMAND: u8 = 0x02;
const MULTIPOINT: u8 = 0x01;

fn word(bytes: &[u8], at: usize) -> u32 {
    match bytes.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

impl Packet {
    /// Decodes one UDP payload. Octets past the Length field are ignored (RFC 5880 §6.8.6 only
    /// requires Length to fit the payload).
    pub fn decode(datagram: &[u8]) -> Result<Packet, DecodeError> {
        let Some(&[first, flags, detect_mult, length]) = datagram.get(..4) else {
            return Err(DecodeError::Truncated(datagram.len()));
        };
        let version = first >> 5;
        if version != VERSION {
            return Err(DecodeError::Version(version));
        }
        let authenticated = flags & AUTHENTICATION != 0;
        let minimum = if authenticated {
            MANDATORY_LEN + 2
        } else {
            MANDATORY_LEN
        };
        if usize::from(length) < minimum {
            return Err(DecodeError::Length(length));
        }
        let Some(packet) = datagram.get(..usize::from(length)) else {
            return Err(DecodeError::Truncated(datagram.len()));
        };
        if detect_mult == 0 {
            return Err(DecodeError::ZeroDetectMult);
        }
        if flags & MULTIPOINT != 0 {
            return Err(DecodeError::Multipoint);
        }
        let my_discriminator = word(packet, 4);
        if my_discriminator == 0 {
            return Err(DecodeError::ZeroMyDiscriminator);
        }
        let authentication = match packet.get(MANDATORY_LEN..) {
            Some(section) if authenticated => Some(Authentication::decode(section)?),
            _ => None,
        };
        Ok(Packet {
            diagnostic: Diagnostic::from_code(first),
            state: State::from_code(flags >> 6),
            poll: flags & POLL != 0,
            final_: flags & FINAL != 0,
            control_plane_independent: flags & CONTROL_PLANE_INDEPENDENT != 0,
            demand: flags & DEMAND != 0,
            detect_mult,
            my_discriminator,
            your_discriminator: word(packet, 8),
            desired_min_tx: word(packet, 12),
            required_min_rx: word(packet, 16),
            required_min_echo_rx: word(packet, 20),
            authentication,
        })
    }

    /// The wire form.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MANDATORY_LEN);
        out.push(VERSION << 5 | self.diagnostic.code());
        let mut flags = self.state.code() << 6;
        for (set, bit) in [
            (self.poll, POLL),
            (self.final_, FINAL),
            (self.control_plane_independent, CONTROL_PLANE_INDEPENDENT),
            (self.authentication.is_some(), AUTHENTICATION),
            (self.demand, DEMAND),
        ] {
            if set {
                flags |= bit;
            }
        }
        out.push(flags);
        out.push(self.detect_mult);
        let length = MANDATORY_LEN
            + self
                .authentication
                .as_ref()
                .map_or(0, Authentication::wire_len);
        out.push(u8::try_from(length).unwrap_or(u8::MAX));
        for value in [
            self.my_discriminator,
            self.your_discriminator,
            self.desired_min_tx,
            self.required_min_rx,
            self.required_min_echo_rx,
        ] {
            out.extend_from_slice(&value.to_be_bytes());
        }
        if let Some(authentication) = &self.authentication {
            authentication.encode(&mut out);
        }
        out
    }
}

/// Microseconds on the wire to a duration.
pub fn micros(value: u32) -> Duration {
    Duration::from_micros(u64::from(value))
}

/// A duration to wire microseconds, saturating at `u32::MAX` (about 71 minutes).
pub fn to_micros(duration: Duration) -> u32 {
    u32::try_from(duration.as_micros()).unwrap_or(u32::MAX)
}
