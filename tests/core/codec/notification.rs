//! NOTIFICATION builders, the Shutdown Communication (RFC 9003), Display, and the IANA tables.

use anycastd::bgp::codec::{
    AttributeType, CapabilityCode, CeaseSubcode, ErrorCode, FsmSubcode, HeaderSubcode, MessageType,
    Notification, OpenSubcode, RouteRefreshSubcode, UpdateSubcode,
};

#[test]
fn builders_produce_the_registered_numbers() {
    assert_eq!(
        Notification::hold_timer_expired(),
        Notification {
            code: 4,
            subcode: 0,
            data: vec![]
        }
    );
    assert_eq!(
        Notification::fsm_error(FsmSubcode::UnexpectedMessageInOpenSent),
        Notification {
            code: 5,
            subcode: 1,
            data: vec![]
        }
    );
    assert_eq!(
        Notification::fsm_error(FsmSubcode::UnexpectedMessageInEstablished),
        Notification {
            code: 5,
            subcode: 3,
            data: vec![]
        }
    );
    assert_eq!(
        Notification::new(ErrorCode::Cease, 2, Vec::new()),
        Notification::cease(CeaseSubcode::AdministrativeShutdown, None)
    );
    assert_eq!(
        Notification::cease(CeaseSubcode::PeerDeconfigured, Some("ignored")),
        Notification {
            code: 6,
            subcode: 3,
            data: vec![]
        }
    );
    assert_eq!(
        Notification::cease(CeaseSubcode::AdministrativeReset, Some("reload")),
        Notification {
            code: 6,
            subcode: 4,
            data: b"\x06reload".to_vec()
        }
    );
}

#[test]
fn shutdown_text_is_cut_at_255_octets_on_a_character_boundary() {
    let ascii = "a".repeat(300);
    let n = Notification::cease(CeaseSubcode::AdministrativeShutdown, Some(&ascii));
    assert_eq!(n.data.len(), 256);
    assert_eq!(n.data[0], 255);
    assert_eq!(n.shutdown_text(), Some("a".repeat(255)));

    // "é" is two octets: 127 of them fit in 255, the 128th would be cut in half.
    let accents = "é".repeat(200);
    let n = Notification::cease(CeaseSubcode::AdministrativeShutdown, Some(&accents));
    assert_eq!(n.data[0], 254);
    assert_eq!(n.shutdown_text(), Some("é".repeat(127)));
}

#[test]
fn shutdown_text_reads_only_well_formed_communications() {
    let with = |subcode, data: &[u8]| Notification {
        code: 6,
        subcode,
        data: data.to_vec(),
    };
    assert_eq!(with(2, b"\x02ok").shutdown_text().as_deref(), Some("ok"));
    assert_eq!(with(4, b"\x02ok").shutdown_text().as_deref(), Some("ok"));
    // Trailing octets after the communication are ignored (RFC 9003 §2 allows more data).
    assert_eq!(with(2, b"\x02okxyz").shutdown_text().as_deref(), Some("ok"));
    assert_eq!(
        with(2, b"\x05ok").shutdown_text(),
        None,
        "length past the data"
    );
    assert_eq!(with(2, b"\x02\xff\xfe").shutdown_text(), None, "not UTF-8");
    assert_eq!(with(2, b"\x00").shutdown_text(), None, "empty");
    assert_eq!(with(2, b"").shutdown_text(), None, "no data");
    assert_eq!(
        with(3, b"\x02ok").shutdown_text(),
        None,
        "not an administrative subcode"
    );
    assert_eq!(
        Notification {
            code: 3,
            subcode: 2,
            data: b"\x02ok".to_vec()
        }
        .shutdown_text(),
        None
    );
}

#[test]
fn display_names_code_and_subcode_in_words() {
    let shutdown = Notification::cease(CeaseSubcode::AdministrativeShutdown, Some("maintenance"));
    assert_eq!(
        shutdown.to_string(),
        "Cease / Administrative Shutdown: \"maintenance\""
    );
    assert_eq!(
        Notification::hold_timer_expired().to_string(),
        "Hold Timer Expired"
    );
    assert_eq!(
        Notification::fsm_error(FsmSubcode::UnexpectedMessageInOpenConfirm).to_string(),
        "Finite State Machine Error / Receive Unexpected Message in OpenConfirm State"
    );
    assert_eq!(
        Notification::from_subcode(UpdateSubcode::MalformedAsPath, Vec::new()).to_string(),
        "UPDATE Message Error / Malformed AS_PATH"
    );
    assert_eq!(
        Notification::from_subcode(HeaderSubcode::BadMessageLength, vec![0x10, 0x01]).to_string(),
        "Message Header Error / Bad Message Length (data 1001)"
    );
    assert_eq!(
        Notification {
            code: 9,
            subcode: 3,
            data: vec![0x0a, 0x0b]
        }
        .to_string(),
        "code 9 / subcode 3 (data 0a0b)"
    );
    assert_eq!(
        Notification {
            code: 6,
            subcode: 99,
            data: vec![]
        }
        .to_string(),
        "Cease / subcode 99"
    );
    assert_eq!(
        Notification::from_subcode(OpenSubcode::Unspecific, Vec::new()).to_string(),
        "OPEN Message Error / Unspecific"
    );
}

#[test]
fn every_registry_value_reads_back() {
    fn check<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        code: fn(T) -> u8,
        from: fn(u8) -> Option<T>,
    ) {
        for &value in all {
            assert_eq!(from(code(value)), Some(value));
        }
        let known = (0..=255u8).filter(|&c| from(c).is_some()).count();
        assert_eq!(known, all.len());
    }
    check(MessageType::ALL, MessageType::code, MessageType::from_code);
    check(ErrorCode::ALL, ErrorCode::code, ErrorCode::from_code);
    check(
        HeaderSubcode::ALL,
        HeaderSubcode::code,
        HeaderSubcode::from_code,
    );
    check(OpenSubcode::ALL, OpenSubcode::code, OpenSubcode::from_code);
    check(
        UpdateSubcode::ALL,
        UpdateSubcode::code,
        UpdateSubcode::from_code,
    );
    check(FsmSubcode::ALL, FsmSubcode::code, FsmSubcode::from_code);
    check(
        CeaseSubcode::ALL,
        CeaseSubcode::code,
        CeaseSubcode::from_code,
    );
    check(
        RouteRefreshSubcode::ALL,
        RouteRefreshSubcode::code,
        RouteRefreshSubcode::from_code,
    );
    check(
        CapabilityCode::ALL,
        CapabilityCode::code,
        CapabilityCode::from_code,
    );
    check(
        AttributeType::ALL,
        AttributeType::code,
        AttributeType::from_code,
    );
}
