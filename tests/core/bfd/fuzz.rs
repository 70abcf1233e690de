//! A bounded fuzz run inside `cargo test`: random and mutated datagrams go through
//! `Packet::decode`, and every packet that decodes is fed to sessions in every state. Nothing may
//! panic, and a decoded packet re-encodes to octets that decode to the same packet.

use anycastd::bfd::{Event, Packet, State};
use proptest::collection::vec;
use proptest::prelude::*;

use super::hex;
use super::table::session_in;

fn exercise(bytes: &[u8]) -> Result<(), TestCaseError> {
    let Ok(packet) = Packet::decode(bytes) else {
        return Ok(());
    };
    let again = packet.encode();
    prop_assert!(again.len() <= bytes.len());
    prop_assert_eq!(Packet::decode(&again), Ok(packet.clone()));
    for state in State::ALL {
        let mut session = session_in(state);
        let _ = session.handle(Event::Received(packet.clone()));
        let _ = session.detection_time();
        let _ = session.transmit_interval();
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4_000, ..ProptestConfig::default() })]

    #[test]
    fn random_datagrams_never_panic(bytes in vec(any::<u8>(), 0..80)) {
        exercise(&bytes)?;
    }

    #[test]
    fn mutated_valid_packets_never_panic(
        seed in 0usize..3,
        changes in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let seeds = [
            "20 40 05 18 0000002a 00000000 000f4240 00002710 00000000",
            "20 e0 03 18 00000011 00000022 000186a0 000186a0 00000000",
            "23 c4 03 21 00000011 00000022 000186a0 000186a0 00000000 01 09 01 736563726574",
        ];
        let mut bytes = hex(seeds[seed]);
        for (at, value) in changes {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        exercise(&bytes)?;
    }
}
