//! Decode errors, typed per layer, and the one exhaustive mapping from an error to the NOTIFICATION
//! RFC 4271 §6 requires and to the RFC 7606 error-handling action. Pure values: no I/O, no logging.

use std::net::Ipv4Addr;

use super::Notification;
use super::iana::{
    AttributeType, HeaderSubcode, OpenSubcode, RouteRefreshSubcode, Subcode, UpdateSubcode,
};

/// What the receiver does about a malformed message (RFC 7606 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorAction {
    /// Send the NOTIFICATION and close the session (RFC 4271 §6, RFC 7606 §2 "session reset").
    ResetSession,
    /// Keep the session; the UPDATE's routes count as withdrawn (RFC 7606 §2 "treat-as-withdraw").
    TreatAsWithdraw,
    /// Keep the session; drop the bad attribute and use the rest (RFC 7606 §2 "attribute discard").
    AttributeDiscard,
}

/// One path attribute exactly as received: the Data field of several UPDATE errors (RFC 4271 §6.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAttribute {
    /// Attribute Flags as received (the Extended Length bit says how wide the length was).
    pub flags: u8,
    /// Attribute Type Code.
    pub code: u8,
    /// Attribute value.
    pub value: Vec<u8>,
}

impl RawAttribute {
    /// The attribute in wire form: flags, type, length (1 or 2 octets as received), value.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.value.len() + 4);
        out.push(self.flags);
        out.push(self.code);
        if self.flags & super::wire::FLAG_EXTENDED_LENGTH != 0 {
            out.extend_from_slice(&super::wire::len_u16(self.value.len()).to_be_bytes());
        } else {
            out.push(super::wire::len_u8(self.value.len()));
        }
        out.extend_from_slice(&self.value);
        out
    }

    fn is(&self, kind: AttributeType) -> bool {
        self.code == kind.code()
    }
}

/// A bad message header (RFC 4271 §6.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The marker is not all ones.
    #[error("connection not synchronized (bad marker)")]
    ConnectionNotSynchronized,
    /// The Length field is out of range for the message (or its type).
    #[error("bad message length {0}")]
    BadLength(u16),
    /// The Type field is not a known message type.
    #[error("bad message type {0}")]
    BadType(u8),
}

/// A bad OPEN (RFC 4271 §6.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Version is not 4.
    #[error("unsupported version {0}")]
    UnsupportedVersion(u8),
    /// My Autonomous System or the 4-octet AS capability is 0 (RFC 7607 §2).
    #[error("peer AS 0")]
    ZeroAs,
    /// BGP Identifier 0.0.0.0 (RFC 6286 §2.2).
    #[error("bad BGP identifier {0}")]
    BadBgpIdentifier(Ipv4Addr),
    /// Hold Time of 1 or 2 seconds (RFC 4271 §4.2).
    #[error("unacceptable hold time {0}")]
    UnacceptableHoldTime(u16),
    /// An optional parameter other than Capabilities (RFC 5492 §4).
    #[error("unsupported optional parameter type {0}")]
    UnsupportedOptionalParameter(u8),
    /// Optional Parameters Length disagrees with the parameters or the message.
    #[error("malformed optional parameters")]
    MalformedOptionalParameters,
    /// A known capability with a value of the wrong size (RFC 5492 §4).
    #[error("malformed capability {code} of length {length}")]
    MalformedCapability {
        /// Capability code.
        code: u8,
        /// Capability length as received.
        length: u8,
    },
}

/// A bad UPDATE (RFC 4271 §6.3, RFC 7606).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    /// Withdrawn Routes Length or Total Path Attribute Length runs past the message (RFC 7606 §5.3: the
    /// NLRI cannot be located).
    #[error("withdrawn routes or path attribute length exceeds the message")]
    InconsistentLengths,
    /// An attribute header or value runs past the Path Attributes field (RFC 7606 §4).
    #[error("path attribute runs past the attribute field")]
    AttributeOverrun,
    /// MP_REACH_NLRI or MP_UNREACH_NLRI appears twice (RFC 7606 §3 g).
    #[error("duplicate {code} attribute")]
    DuplicateMpAttribute {
        /// Type code (14 or 15).
        code: u8,
    },
    /// Another attribute appears twice (RFC 4271 §5, RFC 7606 §3 g).
    #[error("duplicate attribute {code}")]
    DuplicateAttribute {
        /// Type code.
        code: u8,
    },
    /// A well-known (non-optional) attribute of an unassigned type (RFC 4271 §6.3).
    #[error("unrecognized well-known attribute {}", .0.code)]
    UnrecognizedWellKnown(RawAttribute),
    /// A mandatory well-known attribute is missing although NLRI are present (RFC 4271 §6.3).
    #[error("missing well-known attribute {}", .0.name())]
    MissingWellKnown(AttributeType),
    /// Optional/Transitive/Partial flags contradict the type (RFC 4271 §6.3, RFC 7606 §3 c).
    #[error("attribute flags error on attribute {}", .0.code)]
    AttributeFlags(RawAttribute),
    /// The length contradicts the type (RFC 4271 §6.3).
    #[error("attribute length error on attribute {}", .0.code)]
    AttributeLength(RawAttribute),
    /// ORIGIN is not 0, 1 or 2 (RFC 4271 §6.3).
    #[error("invalid ORIGIN")]
    InvalidOrigin(RawAttribute),
    /// NEXT_HOP is not a unicast host address (RFC 4271 §6.3).
    #[error("invalid NEXT_HOP")]
    InvalidNextHop(RawAttribute),
    /// A recognized optional attribute has a bad value (RFC 4271 §6.3, RFC 4760 §7, RFC 6793 §6).
    #[error("optional attribute error on attribute {}", .0.code)]
    OptionalAttribute(RawAttribute),
    /// NLRI or withdrawn routes are not well-formed prefixes (RFC 4271 §6.3).
    #[error("invalid network field")]
    InvalidNetworkField,
    /// AS_PATH is syntactically wrong (RFC 4271 §6.3, RFC 7606 §7.2, RFC 7607).
    #[error("malformed AS_PATH")]
    MalformedAsPath,
}

/// A bad ROUTE-REFRESH (RFC 7313 §5).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteRefreshError {
    /// Its length is not 23; keeps the whole message, the NOTIFICATION's data.
    #[error("invalid ROUTE-REFRESH length {}", .0.len())]
    InvalidLength(Vec<u8>),
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Header (RFC 4271 §6.1).
    #[error("message header: {0}")]
    Header(#[from] HeaderError),
    /// OPEN (RFC 4271 §6.2).
    #[error("OPEN: {0}")]
    Open(#[from] OpenError),
    /// UPDATE (RFC 4271 §6.3).
    #[error("UPDATE: {0}")]
    Update(#[from] UpdateError),
    /// ROUTE-REFRESH (RFC 7313 §5).
    #[error("ROUTE-REFRESH: {0}")]
    RouteRefresh(#[from] RouteRefreshError),
}

fn note<S: Subcode>(subcode: S, data: Vec<u8>) -> Notification {
    Notification::from_subcode(subcode, data)
}

impl DecodeError {
    /// The NOTIFICATION (code, subcode, data) RFC 4271 §6 requires for this error.
    pub fn notification(&self) -> Notification {
        use DecodeError as D;
        match self {
            D::Header(HeaderError::ConnectionNotSynchronized) => {
                note(HeaderSubcode::ConnectionNotSynchronized, Vec::new())
            }
            D::Header(HeaderError::BadLength(length)) => note(
                HeaderSubcode::BadMessageLength,
                length.to_be_bytes().to_vec(),
            ),
            D::Header(HeaderError::BadType(kind)) => {
                note(HeaderSubcode::BadMessageType, vec![*kind])
            }
            // §6.2: the largest locally supported version, 2 octets.
            D::Open(OpenError::UnsupportedVersion(_)) => note(
                OpenSubcode::UnsupportedVersionNumber,
                4u16.to_be_bytes().to_vec(),
            ),
            D::Open(OpenError::ZeroAs) => note(OpenSubcode::BadPeerAs, Vec::new()),
            D::Open(OpenError::BadBgpIdentifier(_)) => {
                note(OpenSubcode::BadBgpIdentifier, Vec::new())
            }
            D::Open(OpenError::UnacceptableHoldTime(_)) => {
                note(OpenSubcode::UnacceptableHoldTime, Vec::new())
            }
            D::Open(OpenError::UnsupportedOptionalParameter(_)) => {
                note(OpenSubcode::UnsupportedOptionalParameter, Vec::new())
            }
            // §6.2: "recognized, but malformed" optional parameters use subcode 0.
            D::Open(
                OpenError::MalformedOptionalParameters | OpenError::MalformedCapability { .. },
            ) => note(OpenSubcode::Unspecific, Vec::new()),
            D::Update(
                UpdateError::InconsistentLengths
                | UpdateError::AttributeOverrun
                | UpdateError::DuplicateMpAttribute { .. }
                | UpdateError::DuplicateAttribute { .. },
            ) => note(UpdateSubcode::MalformedAttributeList, Vec::new()),
            D::Update(UpdateError::UnrecognizedWellKnown(attribute)) => note(
                UpdateSubcode::UnrecognizedWellKnownAttribute,
                attribute.to_bytes(),
            ),
            D::Update(UpdateError::MissingWellKnown(kind)) => {
                note(UpdateSubcode::MissingWellKnownAttribute, vec![kind.code()])
            }
            D::Update(UpdateError::AttributeFlags(attribute)) => {
                note(UpdateSubcode::AttributeFlagsError, attribute.to_bytes())
            }
            D::Update(UpdateError::AttributeLength(attribute)) => {
                note(UpdateSubcode::AttributeLengthError, attribute.to_bytes())
            }
            D::Update(UpdateError::InvalidOrigin(attribute)) => {
                note(UpdateSubcode::InvalidOriginAttribute, attribute.to_bytes())
            }
            D::Update(UpdateError::InvalidNextHop(attribute)) => {
                note(UpdateSubcode::InvalidNextHopAttribute, attribute.to_bytes())
            }
            D::Update(UpdateError::OptionalAttribute(attribute)) => {
                note(UpdateSubcode::OptionalAttributeError, attribute.to_bytes())
            }
            D::Update(UpdateError::InvalidNetworkField) => {
                note(UpdateSubcode::InvalidNetworkField, Vec::new())
            }
            D::Update(UpdateError::MalformedAsPath) => {
                note(UpdateSubcode::MalformedAsPath, Vec::new())
            }
            D::RouteRefresh(RouteRefreshError::InvalidLength(message)) => {
                note(RouteRefreshSubcode::InvalidMessageLength, message.clone())
            }
        }
    }

    /// What to do about the error (RFC 7606 §3 and §7).
    pub fn action(&self) -> ErrorAction {
        match self {
            DecodeError::Header(_) | DecodeError::Open(_) | DecodeError::RouteRefresh(_) => {
                ErrorAction::ResetSession
            }
            DecodeError::Update(e) => e.action(),
        }
    }
}

impl UpdateError {
    /// The RFC 7606 action for this error.
    pub fn action(&self) -> ErrorAction {
        use ErrorAction::{AttributeDiscard, ResetSession, TreatAsWithdraw};
        let mp = |a: &RawAttribute| {
            a.is(AttributeType::MpReachNlri) || a.is(AttributeType::MpUnreachNlri)
        };
        match self {
            // §5.3: the NLRI cannot be located, or a prefix cannot be parsed.
            UpdateError::InconsistentLengths | UpdateError::InvalidNetworkField => ResetSession,
            // §3 g: a second MP_REACH/MP_UNREACH.
            UpdateError::DuplicateMpAttribute { .. } => ResetSession,
            // §3 g: every repeat but the first is discarded.
            UpdateError::DuplicateAttribute { .. } => AttributeDiscard,
            // RFC 4271 §6.3 is not revised by RFC 7606 here.
            UpdateError::UnrecognizedWellKnown(_) => ResetSession,
            // §4 and §3 d.
            UpdateError::AttributeOverrun | UpdateError::MissingWellKnown(_) => TreatAsWithdraw,
            // §7.11 (MP_*: session reset), §3 c (flags), RFC 6793 §6 (AS4_PATH: attribute discard).
            UpdateError::AttributeFlags(a)
            | UpdateError::AttributeLength(a)
            | UpdateError::OptionalAttribute(a) => {
                if mp(a) {
                    ResetSession
                } else if a.is(AttributeType::As4Path) {
                    AttributeDiscard
                } else {
                    TreatAsWithdraw
                }
            }
            // §7.1, §7.3, §7.2.
            UpdateError::InvalidOrigin(_)
            | UpdateError::InvalidNextHop(_)
            | UpdateError::MalformedAsPath => TreatAsWithdraw,
        }
    }
}
