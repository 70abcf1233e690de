//! UPDATE errors (RFC 4271 §6.3, RFC 7606): the exact NOTIFICATION and action of each.

use anycastd::bgp::codec::{AttributeType, ErrorAction, Message, UpdateError};

use super::errors::{AS_PATH, AS_PATH_2, NEXT_HOP, NLRI, ORIGIN, check, raw, update};
use super::{AS2, AS4, hex};

use ErrorAction::{AttributeDiscard, ResetSession, TreatAsWithdraw};

#[test]
fn withdrawn_length_past_the_message_is_malformed_attribute_list() {
    let mut bytes = update("", "", "");
    bytes[20] = 9;
    check(
        &bytes,
        AS4.0,
        UpdateError::InconsistentLengths,
        "03 01",
        ResetSession,
    );
}

#[test]
fn attribute_length_past_the_message_is_malformed_attribute_list() {
    let mut bytes = update("", ORIGIN, "");
    bytes[22] = 9;
    check(
        &bytes,
        AS4.0,
        UpdateError::InconsistentLengths,
        "03 01",
        ResetSession,
    );
}

#[test]
fn attribute_running_past_the_attribute_field_is_treat_as_withdraw() {
    let bytes = update("", &format!("{ORIGIN} {AS_PATH} 40 03 09 c0000201"), NLRI);
    check(
        &bytes,
        AS4.0,
        UpdateError::AttributeOverrun,
        "03 01",
        TreatAsWithdraw,
    );
    let truncated_header = update("", &format!("{ORIGIN} 40"), NLRI);
    check(
        &truncated_header,
        AS4.0,
        UpdateError::AttributeOverrun,
        "03 01",
        TreatAsWithdraw,
    );
}

#[test]
fn second_mp_reach_resets_the_session() {
    let mp = "80 0f 03 0002 01";
    let bytes = update("", &format!("{mp} {mp}"), "");
    check(
        &bytes,
        AS4.0,
        UpdateError::DuplicateMpAttribute { code: 15 },
        "03 01",
        ResetSession,
    );
}

#[test]
fn repeated_attribute_is_discarded() {
    let bytes = update(
        "",
        &format!("{ORIGIN} {AS_PATH} {NEXT_HOP} 40 01 01 02"),
        NLRI,
    );
    check(
        &bytes,
        AS4.0,
        UpdateError::DuplicateAttribute { code: 1 },
        "03 01",
        AttributeDiscard,
    );
}

#[test]
fn unrecognized_well_known_attribute_names_it() {
    let attribute = "40 63 02 abcd";
    let bytes = update(
        "",
        &format!("{ORIGIN} {AS_PATH} {NEXT_HOP} {attribute}"),
        NLRI,
    );
    let error = UpdateError::UnrecognizedWellKnown(raw(attribute));
    check(
        &bytes,
        AS4.0,
        error,
        &format!("03 02 {attribute}"),
        ResetSession,
    );
}

#[test]
fn missing_next_hop_with_nlri_is_treat_as_withdraw() {
    let bytes = update("", &format!("{ORIGIN} {AS_PATH}"), NLRI);
    let error = UpdateError::MissingWellKnown(AttributeType::NextHop);
    check(&bytes, AS4.0, error, "03 03 03", TreatAsWithdraw);
}

#[test]
fn missing_origin_with_mp_reach_is_treat_as_withdraw() {
    let mp = "80 0e 1b 0002 01 10 20010db8000000000000000000000001 00 28 20010db801";
    let bytes = update("", &format!("{AS_PATH} {mp}"), "");
    let error = UpdateError::MissingWellKnown(AttributeType::Origin);
    check(&bytes, AS4.0, error, "03 03 01", TreatAsWithdraw);
}

#[test]
fn missing_attributes_without_nlri_are_fine() {
    let bytes = update("08 0a", ORIGIN, "");
    assert!(Message::decode(&bytes, &AS4.0).is_ok());
}

#[test]
fn conflicting_flags_are_attribute_flags_error() {
    // ORIGIN marked optional.
    let origin = "c0 01 01 00";
    let bytes = update("", &format!("{origin} {AS_PATH} {NEXT_HOP}"), NLRI);
    check(
        &bytes,
        AS4.0,
        UpdateError::AttributeFlags(raw(origin)),
        &format!("03 04 {origin}"),
        TreatAsWithdraw,
    );
    // MED with the Partial bit.
    let med = "a0 04 04 00000001";
    let bytes = update("", &format!("{ORIGIN} {AS_PATH} {NEXT_HOP} {med}"), NLRI);
    check(
        &bytes,
        AS4.0,
        UpdateError::AttributeFlags(raw(med)),
        &format!("03 04 {med}"),
        TreatAsWithdraw,
    );
    // MP_UNREACH_NLRI marked transitive: its routes cannot be trusted, so the session resets.
    let mp = "c0 0f 03 0002 01";
    let bytes = update("", mp, "");
    check(
        &bytes,
        AS4.0,
        UpdateError::AttributeFlags(raw(mp)),
        &format!("03 04 {mp}"),
        ResetSession,
    );
    // AS4_PATH marked well-known: discarded (RFC 6793 §6).
    let as4 = "40 11 06 02 01 00011170";
    let bytes = update("", &format!("{ORIGIN} {AS_PATH_2} {NEXT_HOP} {as4}"), NLRI);
    check(
        &bytes,
        AS2.0,
        UpdateError::AttributeFlags(raw(as4)),
        &format!("03 04 {as4}"),
        AttributeDiscard,
    );
}

#[test]
fn wrong_lengths_are_attribute_length_error() {
    for attribute in [
        "40 01 02 0000",             // ORIGIN
        "40 03 05 c000020100",       // NEXT_HOP
        "80 04 03 000001",           // MED
        "40 05 05 0000000100",       // LOCAL_PREF
        "c0 08 03 fde900",           // COMMUNITIES
        "c0 08 00",                  // COMMUNITIES, empty
        "c0 20 08 0000fde900000001", // LARGE_COMMUNITY
    ] {
        let code = hex(attribute)[1];
        // Put the bad attribute in place of its good twin, else it would be a duplicate.
        let list: Vec<&str> = [ORIGIN, AS_PATH, NEXT_HOP]
            .into_iter()
            .filter(|a| hex(a)[1] != code)
            .collect();
        let bytes = update("", &format!("{} {attribute}", list.join(" ")), NLRI);
        check(
            &bytes,
            AS4.0,
            UpdateError::AttributeLength(raw(attribute)),
            &format!("03 05 {attribute}"),
            TreatAsWithdraw,
        );
    }
}

#[test]
fn origin_3_is_invalid_origin() {
    let origin = "40 01 01 03";
    let bytes = update("", &format!("{origin} {AS_PATH} {NEXT_HOP}"), NLRI);
    check(
        &bytes,
        AS4.0,
        UpdateError::InvalidOrigin(raw(origin)),
        "03 06 40 01 01 03",
        TreatAsWithdraw,
    );
}

#[test]
fn unusable_next_hop_is_invalid_next_hop() {
    for next_hop in [
        "40 03 04 00000000",
        "40 03 04 ffffffff",
        "40 03 04 e0000001",
    ] {
        let bytes = update("", &format!("{ORIGIN} {AS_PATH} {next_hop}"), NLRI);
        let error = UpdateError::InvalidNextHop(raw(next_hop));
        check(
            &bytes,
            AS4.0,
            error,
            &format!("03 08 {next_hop}"),
            TreatAsWithdraw,
        );
    }
}

#[test]
fn bad_mp_reach_is_optional_attribute_error_and_resets() {
    // Next hop of 5 octets for IPv6.
    let mp = "80 0e 0c 0002 01 05 2001000000 00 08 20";
    let bytes = update("", &format!("{ORIGIN} {AS_PATH} {mp}"), "");
    check(
        &bytes,
        AS4.0,
        UpdateError::OptionalAttribute(raw(mp)),
        &format!("03 09 {mp}"),
        ResetSession,
    );
    // IPv6 prefix of length 129.
    let mp = "80 0e 16 0002 01 10 20010db8000000000000000000000001 00 81";
    let bytes = update("", &format!("{ORIGIN} {AS_PATH} {mp}"), "");
    check(
        &bytes,
        AS4.0,
        UpdateError::OptionalAttribute(raw(mp)),
        &format!("03 09 {mp}"),
        ResetSession,
    );
    // MP_UNREACH_NLRI too short for AFI and SAFI.
    let mp = "80 0f 02 0002";
    let bytes = update("", mp, "");
    check(
        &bytes,
        AS4.0,
        UpdateError::OptionalAttribute(raw(mp)),
        &format!("03 09 {mp}"),
        ResetSession,
    );
}

#[test]
fn malformed_as4_path_is_discarded() {
    let as4 = "c0 11 03 02 01 00";
    let bytes = update("", &format!("{ORIGIN} {AS_PATH_2} {NEXT_HOP} {as4}"), NLRI);
    check(
        &bytes,
        AS2.0,
        UpdateError::OptionalAttribute(raw(as4)),
        &format!("03 09 {as4}"),
        AttributeDiscard,
    );
}

#[test]
fn bad_prefixes_are_invalid_network_field() {
    let attributes = format!("{ORIGIN} {AS_PATH} {NEXT_HOP}");
    check(
        &update("", &attributes, "21 c0000201 00"),
        AS4.0,
        UpdateError::InvalidNetworkField,
        "03 0a",
        ResetSession,
    );
    check(
        &update("", &attributes, "18 c633"),
        AS4.0,
        UpdateError::InvalidNetworkField,
        "03 0a",
        ResetSession,
    );
    check(
        &update("20 0a00", "", ""),
        AS4.0,
        UpdateError::InvalidNetworkField,
        "03 0a",
        ResetSession,
    );
}

#[test]
fn malformed_as_path_is_treat_as_withdraw() {
    for as_path in [
        "40 02 06 03 01 0000fde9", // AS_CONFED_SEQUENCE from a non-member
        "40 02 02 02 00",          // empty segment
        "40 02 06 02 02 0000fde9", // count past the value
        "40 02 06 02 01 00000000", // AS 0 (RFC 7607)
        "40 02 01 02",             // truncated segment header
    ] {
        let bytes = update("", &format!("{ORIGIN} {as_path} {NEXT_HOP}"), NLRI);
        check(
            &bytes,
            AS4.0,
            UpdateError::MalformedAsPath,
            "03 0b",
            TreatAsWithdraw,
        );
    }
    // Four-octet numbers read with a two-octet context leave an odd octet.
    let bytes = update(
        "",
        &format!("{ORIGIN} 40 02 07 02 01 0000fde9 00 {NEXT_HOP}"),
        NLRI,
    );
    check(
        &bytes,
        AS2.0,
        UpdateError::MalformedAsPath,
        "03 0b",
        TreatAsWithdraw,
    );
}

#[test]
fn the_most_severe_error_wins() {
    // A repeated attribute (discard) before a bad ORIGIN (treat-as-withdraw).
    let bytes = update(
        "",
        &format!("{AS_PATH} {AS_PATH} 40 01 01 07 {NEXT_HOP}"),
        NLRI,
    );
    check(
        &bytes,
        AS4.0,
        UpdateError::InvalidOrigin(raw("40 01 01 07")),
        "03 06 40 01 01 07",
        TreatAsWithdraw,
    );
    // A bad ORIGIN (treat-as-withdraw) before a second MP_UNREACH (reset).
    let mp = "80 0f 03 0002 01";
    let bytes = update("", &format!("40 01 01 07 {mp} {mp}"), "");
    check(
        &bytes,
        AS4.0,
        UpdateError::DuplicateMpAttribute { code: 15 },
        "03 01",
        ResetSession,
    );
}
