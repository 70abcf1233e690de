//! Control packet vectors (RFC 5880 §4.1) and every session-free reception check of §6.8.6.

use anycastd::bfd::{Authentication, DecodeError, Diagnostic, KeyedKind, Packet, State};

use super::hex;

/// A Down packet as BIRD 2 sends it first: diag 0, multiplier 5, discriminator 0x2a, Your 0,
/// 1 s TX (the slow rate outside Up), 10 ms RX, no Echo.
const BIRD_DOWN: &str = "20 40 05 18 0000002a 00000000 000f4240 00002710 00000000";

fn bird_down() -> Packet {
    Packet {
        diagnostic: Diagnostic::None,
        state: State::Down,
        poll: false,
        final_: false,
        control_plane_independent: false,
        demand: false,
        detect_mult: 5,
        my_discriminator: 0x2a,
        your_discriminator: 0,
        desired_min_tx: 1_000_000,
        required_min_rx: 10_000,
        required_min_echo_rx: 0,
        authentication: None,
    }
}

#[test]
fn a_down_packet_decodes_field_by_field_and_encodes_back() {
    let bytes = hex(BIRD_DOWN);
    assert_eq!(Packet::decode(&bytes), Ok(bird_down()));
    assert_eq!(bird_down().encode(), bytes);
}

#[test]
fn every_flag_and_the_diagnostic_have_their_bit() {
    let packet = Packet {
        diagnostic: Diagnostic::NeighborSignaledSessionDown,
        state: State::Up,
        poll: true,
        final_: false,
        control_plane_independent: true,
        demand: true,
        ..bird_down()
    };
    let bytes = packet.encode();
    assert_eq!(&bytes[..2], &[0x23, 0xea]);
    assert_eq!(Packet::decode(&bytes), Ok(packet.clone()));
    let final_ = Packet {
        poll: false,
        final_: true,
        control_plane_independent: false,
        demand: false,
        ..packet
    };
    assert_eq!(final_.encode()[1], 0xd0);
    for code in 0..32u8 {
        let mut bytes = hex(BIRD_DOWN);
        bytes[0] = 0x20 | code;
        let decoded = Packet::decode(&bytes).unwrap();
        assert_eq!(decoded.diagnostic.code(), code);
        assert_eq!(decoded.encode(), bytes, "diag {code} re-encodes");
    }
    for state in State::ALL {
        let bytes = Packet {
            state,
            ..bird_down()
        }
        .encode();
        assert_eq!(bytes[1] >> 6, state.code());
        assert_eq!(Packet::decode(&bytes).unwrap().state, state);
    }
}

#[test]
fn octets_past_the_length_field_are_ignored() {
    let mut bytes = hex(BIRD_DOWN);
    bytes.extend_from_slice(&[0xde, 0xad]);
    assert_eq!(Packet::decode(&bytes), Ok(bird_down()));
}

#[test]
fn the_session_free_reception_checks_drop_with_their_reason() {
    type Change = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, Change, DecodeError)> = vec![
        ("empty", Box::new(|b| b.clear()), DecodeError::Truncated(0)),
        (
            "three octets",
            Box::new(|b| b.truncate(3)),
            DecodeError::Truncated(3),
        ),
        (
            "version 0",
            Box::new(|b| b[0] &= 0x1f),
            DecodeError::Version(0),
        ),
        (
            "version 2",
            Box::new(|b| b[0] = 0x40),
            DecodeError::Version(2),
        ),
        (
            "length 23",
            Box::new(|b| b[3] = 23),
            DecodeError::Length(23),
        ),
        (
            "length past the datagram",
            Box::new(|b| b[3] = 28),
            DecodeError::Truncated(24),
        ),
        (
            "short datagram",
            Box::new(|b| b.truncate(20)),
            DecodeError::Truncated(20),
        ),
        (
            "detect mult 0",
            Box::new(|b| b[2] = 0),
            DecodeError::ZeroDetectMult,
        ),
        (
            "multipoint",
            Box::new(|b| b[1] |= 1),
            DecodeError::Multipoint,
        ),
        (
            "my discriminator 0",
            Box::new(|b| b[7] = 0),
            DecodeError::ZeroMyDiscriminator,
        ),
        (
            "A bit, length 24",
            Box::new(|b| b[1] |= 4),
            DecodeError::Length(24),
        ),
        (
            "A bit, section shorter than its header",
            Box::new(|b| {
                b[1] |= 4;
                b[3] = 26;
                b.extend_from_slice(&[1, 3]);
            }),
            DecodeError::AuthenticationTruncated,
        ),
        (
            "auth len disagrees with the section",
            Box::new(|b| {
                b[1] |= 4;
                b[3] = 28;
                b.extend_from_slice(&[1, 5, 0, 0x61]);
            }),
            DecodeError::AuthenticationLength(5),
        ),
        (
            "simple password of 17 octets",
            Box::new(|b| {
                b[1] |= 4;
                b[3] = 24 + 20;
                b.extend_from_slice(&[1, 20, 0]);
                b.extend_from_slice(&[0x61; 17]);
            }),
            DecodeError::AuthenticationLength(20),
        ),
        (
            "MD5 with a SHA1-sized digest",
            Box::new(|b| {
                b[1] |= 4;
                b[3] = 24 + 28;
                b.extend_from_slice(&[2, 28, 1, 0, 0, 0, 0, 7]);
                b.extend_from_slice(&[0; 20]);
            }),
            DecodeError::AuthenticationLength(28),
        ),
        (
            "auth type 6",
            Box::new(|b| {
                b[1] |= 4;
                b[3] = 27;
                b.extend_from_slice(&[6, 3, 0]);
            }),
            DecodeError::AuthenticationType(6),
        ),
    ];
    for (name, change, expected) in cases {
        let mut bytes = hex(BIRD_DOWN);
        change(&mut bytes);
        assert_eq!(Packet::decode(&bytes), Err(expected), "{name}");
    }
}

#[test]
fn authentication_sections_of_every_type_are_parsed() {
    let password = Authentication::SimplePassword {
        key_id: 7,
        password: b"secret".to_vec(),
    };
    let mut cases = vec![(password, 9usize)];
    for (kind, len) in [
        (KeyedKind::Md5, 24),
        (KeyedKind::MeticulousMd5, 24),
        (KeyedKind::Sha1, 28),
        (KeyedKind::MeticulousSha1, 28),
    ] {
        let auth = Authentication::Keyed {
            kind,
            key_id: 1,
            reserved: 0,
            sequence: 0x0102_0304,
            digest: vec![0xab; len - 8],
        };
        cases.push((auth, len));
    }
    for (auth, len) in cases {
        let packet = Packet {
            authentication: Some(auth.clone()),
            ..bird_down()
        };
        let bytes = packet.encode();
        assert_eq!(bytes.len(), 24 + len);
        assert_eq!(usize::from(bytes[3]), 24 + len);
        assert_eq!(bytes[1] & 4, 4, "A bit");
        assert_eq!(bytes[24], auth.type_code());
        assert_eq!(Packet::decode(&bytes), Ok(packet));
    }
}
