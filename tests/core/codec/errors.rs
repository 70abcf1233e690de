//! Every decode error: the exact NOTIFICATION (code, subcode, data) of RFC 4271 §6 and the RFC 7606
//! action, one case per variant (and per attribute where the action differs). Header, OPEN and
//! ROUTE-REFRESH errors here, UPDATE errors in `update_errors.rs`.

use std::net::Ipv4Addr;

use anycastd::bgp::codec::{
    DecodeContext, DecodeError, ErrorAction, HeaderError, Message, OpenError, RawAttribute,
    RouteRefreshError, frame_len,
};

use super::{AS4, encode, hex};

use ErrorAction::ResetSession;

/// A whole message: marker, length, type, body.
pub(super) fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xff; 16];
    out.extend_from_slice(
        &u16::try_from(19 + body.len())
            .expect("length")
            .to_be_bytes(),
    );
    out.push(kind);
    out.extend_from_slice(body);
    out
}

/// An UPDATE from hex fields; the two length fields are computed.
pub(super) fn update(withdrawn: &str, attributes: &str, nlri: &str) -> Vec<u8> {
    let (w, a, n) = (hex(withdrawn), hex(attributes), hex(nlri));
    let mut body = u16::try_from(w.len())
        .expect("length")
        .to_be_bytes()
        .to_vec();
    body.extend(w);
    body.extend(u16::try_from(a.len()).expect("length").to_be_bytes());
    body.extend(a);
    body.extend(n);
    frame(2, &body)
}

/// An OPEN body from hex: everything after the BGP Identifier is given as is.
pub(super) fn open(version: &str, my_as: &str, hold: &str, id: &str, params: &str) -> Vec<u8> {
    frame(1, &hex(&format!("{version} {my_as} {hold} {id} {params}")))
}

pub(super) const ORIGIN: &str = "40 01 01 00";
pub(super) const AS_PATH: &str = "40 02 06 02 01 0000fde9";
pub(super) const AS_PATH_2: &str = "40 02 04 02 01 fde9";
pub(super) const NEXT_HOP: &str = "40 03 04 c0000201";
pub(super) const NLRI: &str = "18 c63364";

pub(super) fn raw(text: &str) -> RawAttribute {
    let bytes = hex(text);
    let (flags, code) = (bytes[0], bytes[1]);
    let skip = if flags & 0x10 != 0 { 4 } else { 3 };
    RawAttribute {
        flags,
        code,
        value: bytes[skip..].to_vec(),
    }
}

/// Decodes `bytes`, expects `error`, its NOTIFICATION `code subcode data` in hex, and `action`.
#[track_caller]
pub(super) fn check(
    bytes: &[u8],
    cx: DecodeContext,
    error: impl Into<DecodeError>,
    notification: &str,
    action: ErrorAction,
) {
    let error = error.into();
    let got = Message::decode(bytes, &cx);
    assert_eq!(got.as_ref(), Err(&error));
    let n = error.notification();
    let mut wire = vec![n.code, n.subcode];
    wire.extend_from_slice(&n.data);
    assert_eq!(wire, hex(notification), "NOTIFICATION of {error}");
    assert_eq!(error.action(), action, "action of {error}");
    // The NOTIFICATION goes out as a valid message.
    let sent = encode(&Message::Notification(n.clone()), AS4.1);
    assert_eq!(sent, frame(3, &wire));
    assert_eq!(Message::decode(&sent, &cx), Ok(Message::Notification(n)));
}

// ---- Message header (RFC 4271 §6.1) ----

#[test]
fn bad_marker_is_connection_not_synchronized() {
    let mut bytes = frame(4, &[]);
    bytes[3] = 0xfe;
    assert_eq!(
        frame_len(&bytes),
        Err(HeaderError::ConnectionNotSynchronized)
    );
    assert_eq!(
        frame_len(&bytes[..4]),
        Err(HeaderError::ConnectionNotSynchronized)
    );
    check(
        &bytes,
        AS4.0,
        HeaderError::ConnectionNotSynchronized,
        "01 01",
        ResetSession,
    );
}

#[test]
fn length_below_the_header_is_bad_message_length() {
    let mut bytes = frame(4, &[]);
    bytes[17] = 18;
    assert_eq!(frame_len(&bytes), Err(HeaderError::BadLength(18)));
    check(
        &bytes,
        AS4.0,
        HeaderError::BadLength(18),
        "01 02 0012",
        ResetSession,
    );
}

#[test]
fn length_above_4096_is_bad_message_length() {
    let mut bytes = frame(2, &[0; 4]);
    bytes[16..18].copy_from_slice(&4097u16.to_be_bytes());
    assert_eq!(frame_len(&bytes), Err(HeaderError::BadLength(4097)));
    check(
        &bytes,
        AS4.0,
        HeaderError::BadLength(4097),
        "01 02 1001",
        ResetSession,
    );
}

#[test]
fn keepalive_with_a_body_is_bad_message_length() {
    check(
        &frame(4, &[0]),
        AS4.0,
        HeaderError::BadLength(20),
        "01 02 0014",
        ResetSession,
    );
}

#[test]
fn short_open_update_and_notification_are_bad_message_length() {
    check(
        &frame(1, &[4; 9]),
        AS4.0,
        HeaderError::BadLength(28),
        "01 02 001c",
        ResetSession,
    );
    check(
        &frame(2, &[0; 3]),
        AS4.0,
        HeaderError::BadLength(22),
        "01 02 0016",
        ResetSession,
    );
    check(
        &frame(3, &[6]),
        AS4.0,
        HeaderError::BadLength(20),
        "01 02 0014",
        ResetSession,
    );
}

#[test]
fn frame_shorter_than_its_length_field_is_bad_message_length() {
    let bytes = frame(4, &[]);
    let mut longer = bytes.clone();
    longer[17] = 23;
    check(
        &longer,
        AS4.0,
        HeaderError::BadLength(23),
        "01 02 0017",
        ResetSession,
    );
}

#[test]
fn unknown_type_is_bad_message_type() {
    check(
        &frame(6, &[]),
        AS4.0,
        HeaderError::BadType(6),
        "01 03 06",
        ResetSession,
    );
    check(
        &frame(0, &[]),
        AS4.0,
        HeaderError::BadType(0),
        "01 03 00",
        ResetSession,
    );
}

// ---- OPEN (RFC 4271 §6.2) ----

#[test]
fn version_3_is_unsupported_and_names_version_4() {
    let bytes = open("03", "fde9", "005a", "c0000201", "00");
    check(
        &bytes,
        AS4.0,
        OpenError::UnsupportedVersion(3),
        "02 01 0004",
        ResetSession,
    );
}

#[test]
fn as_zero_is_bad_peer_as() {
    let bytes = open("04", "0000", "005a", "c0000201", "00");
    check(&bytes, AS4.0, OpenError::ZeroAs, "02 02", ResetSession);
    let four_octet_zero = open("04", "5ba0", "005a", "c0000201", "08 02 06 41 04 00000000");
    check(
        &four_octet_zero,
        AS4.0,
        OpenError::ZeroAs,
        "02 02",
        ResetSession,
    );
}

#[test]
fn identifier_zero_is_bad_bgp_identifier() {
    let bytes = open("04", "fde9", "005a", "00000000", "00");
    check(
        &bytes,
        AS4.0,
        OpenError::BadBgpIdentifier(Ipv4Addr::UNSPECIFIED),
        "02 03",
        ResetSession,
    );
}

#[test]
fn hold_time_of_one_or_two_seconds_is_unacceptable() {
    for (hold, value) in [("0001", 1), ("0002", 2)] {
        let bytes = open("04", "fde9", hold, "c0000201", "00");
        check(
            &bytes,
            AS4.0,
            OpenError::UnacceptableHoldTime(value),
            "02 06",
            ResetSession,
        );
    }
}

#[test]
fn unknown_optional_parameter_is_unsupported() {
    // Type 1 (Authentication, deprecated by RFC 5492).
    let bytes = open("04", "fde9", "005a", "c0000201", "03 01 01 00");
    check(
        &bytes,
        AS4.0,
        OpenError::UnsupportedOptionalParameter(1),
        "02 04",
        ResetSession,
    );
}

#[test]
fn optional_parameters_length_mismatch_is_unspecific() {
    // Opt Parm Len says 8, only 4 octets follow.
    let short = open("04", "fde9", "005a", "c0000201", "08 02 02 02 00");
    check(
        &short,
        AS4.0,
        OpenError::MalformedOptionalParameters,
        "02 00",
        ResetSession,
    );
    // A capability that runs past its parameter.
    let overrun = open("04", "fde9", "005a", "c0000201", "04 02 02 41 04");
    check(
        &overrun,
        AS4.0,
        OpenError::MalformedOptionalParameters,
        "02 00",
        ResetSession,
    );
    // Octets after the parameters.
    let trailing = open("04", "fde9", "005a", "c0000201", "00 00");
    check(
        &trailing,
        AS4.0,
        OpenError::MalformedOptionalParameters,
        "02 00",
        ResetSession,
    );
}

#[test]
fn known_capability_of_the_wrong_length_is_unspecific() {
    let mp = open("04", "fde9", "005a", "c0000201", "07 02 05 01 03 000100");
    let error = OpenError::MalformedCapability { code: 1, length: 3 };
    check(&mp, AS4.0, error, "02 00", ResetSession);
    let rr = open("04", "fde9", "005a", "c0000201", "05 02 03 02 01 00");
    check(
        &rr,
        AS4.0,
        OpenError::MalformedCapability { code: 2, length: 1 },
        "02 00",
        ResetSession,
    );
    let gr = open("04", "fde9", "005a", "c0000201", "07 02 05 40 03 007800");
    check(
        &gr,
        AS4.0,
        OpenError::MalformedCapability {
            code: 64,
            length: 3,
        },
        "02 00",
        ResetSession,
    );
}

#[test]
fn rfc9072_extended_parameters_decode() {
    let bytes = open(
        "04",
        "fde9",
        "005a",
        "c0000201",
        "ff ff 0009 02 0006 41 04 0000fde9",
    );
    let Ok(Message::Open(open)) = Message::decode(&bytes, &AS4.0) else {
        panic!("not an OPEN")
    };
    assert_eq!(open.asn(), 65001);
}

// ---- ROUTE-REFRESH (RFC 7313 §5) ----

#[test]
fn route_refresh_of_the_wrong_length_returns_the_whole_message() {
    let bytes = frame(5, &hex("0001 00 01 00"));
    let error = RouteRefreshError::InvalidLength(bytes.clone());
    let data: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    check(
        &bytes.clone(),
        AS4.0,
        error,
        &format!("07 01 {data}"),
        ResetSession,
    );
}
