//! A bounded fuzz run inside `cargo test`: random bytes, header-shaped random bytes and mutated valid
//! messages go through `frame_len` and `Message::decode` under both AS widths. Nothing may panic; a
//! decoded message must re-encode to bytes that decode to the same message.

use anycastd::bgp::codec::{DecodeContext, EncodeContext, MAX_MESSAGE_LEN, Message, frame_len};
use proptest::collection::vec;
use proptest::prelude::*;

use super::{encode, hex};

/// Valid messages to mutate: every captured file and a few hand-made ones.
fn seeds() -> Vec<Vec<u8>> {
    let texts = [
        include_str!("../../data/bird/open.hex"),
        include_str!("../../data/bird/update-ipv4.hex"),
        include_str!("../../data/bird/update-ipv6.hex"),
        include_str!("../../data/bird/eor-ipv6.hex"),
        include_str!("../../data/bird/notification.hex"),
        include_str!("../../data/gobgp/open.hex"),
        include_str!("../../data/gobgp/update-ipv4.hex"),
        include_str!("../../data/gobgp/update-ipv6.hex"),
        "ffffffffffffffffffffffffffffffff 0013 04",
        "ffffffffffffffffffffffffffffffff 0017 05 0002 00 01",
        "ffffffffffffffffffffffffffffffff 001c 02 0005 080a 10c0a8 0000",
        "ffffffffffffffffffffffffffffffff 003c 02 0000 0021 400101 00 4002060202fde95ba0
         c0110a02020000fde900011170 400304c0000201 18c63364",
        "ffffffffffffffffffffffffffffffff 0023 01 04 fde9 005a c0000201 ff ff 0009 02 0006 41 04 0000fde9",
    ];
    texts.iter().map(|t| hex(t)).collect()
}

/// Runs one input through everything; panics only through a failed property.
fn exercise(bytes: &[u8]) -> Result<(), TestCaseError> {
    let framed = frame_len(bytes);
    for four_octet_as in [false, true] {
        let dcx = DecodeContext { four_octet_as };
        let ecx = EncodeContext { four_octet_as };
        let Ok(message) = Message::decode(bytes, &dcx) else {
            continue;
        };
        prop_assert_eq!(&framed, &Ok(Some(bytes.len())));
        let again = encode(&message, ecx);
        prop_assert!(again.len() <= MAX_MESSAGE_LEN);
        prop_assert_eq!(Message::decode(&again, &dcx), Ok(message));
    }
    if let Err(error) = Message::decode(bytes, &DecodeContext::default()) {
        let _ = (error.notification(), error.action(), error.to_string());
        let _ = error.notification().to_string();
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
    Remove(prop::sample::Index),
    Truncate(prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        1 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Remove),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation], fix_length: bool) -> Vec<u8> {
    for m in mutations {
        if bytes.is_empty() {
            break;
        }
        match m {
            Mutation::Set(i, b) => {
                let i = i.index(bytes.len());
                bytes[i] = *b;
            }
            Mutation::Insert(i, b) => bytes.insert(i.index(bytes.len() + 1), *b),
            Mutation::Remove(i) => {
                bytes.remove(i.index(bytes.len()));
            }
            Mutation::Truncate(i) => bytes.truncate(i.index(bytes.len())),
        }
    }
    // Keep the header valid so the mutations reach the body decoders.
    if fix_length && bytes.len() >= 19 {
        bytes[..16].fill(0xff);
        let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
        bytes[16..18].copy_from_slice(&len.to_be_bytes());
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8_000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in vec(any::<u8>(), 0..600)) {
        exercise(&bytes)?;
    }

    #[test]
    fn random_bodies_behind_a_valid_header_never_panic(kind in 0u8..7, body in vec(any::<u8>(), 0..300)) {
        let mut bytes = vec![0xff; 16];
        bytes.extend_from_slice(&u16::try_from(19 + body.len()).unwrap_or(0).to_be_bytes());
        bytes.push(kind);
        bytes.extend(body);
        exercise(&bytes)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12_000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_valid_messages_never_panic(
        seed in any::<prop::sample::Index>(),
        mutations in vec(mutation(), 1..8),
        fix_length in any::<bool>(),
    ) {
        let seeds = seeds();
        let bytes = mutate(seed.get(&seeds).clone(), &mutations, fix_length);
        exercise(&bytes)?;
    }
}
