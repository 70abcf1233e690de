//! Long-running fuzz loop for the BFD Control packet codec and session machine, on the stable
//! toolchain.
//!
//! Feeds random datagrams and mutations of valid packets to `Packet::decode`; every packet that
//! decodes must re-encode to a packet that decodes the same, and is then fed to sessions in every
//! state. A panic or a failed property prints the input as hex and exits 1; add that input to
//! `tests/core/bfd/` as a regression test.
//!
//! ```text
//! cargo run --release --manifest-path tests/fuzz/Cargo.toml --bin bfd -- --seconds 600 [--seed N]
//! ```

#[path = "../harness.rs"]
mod harness;

use anycastd::bfd::{Event, Packet, Session, SessionConfig, State, Timer};
use harness::Rng;

const SEEDS: [&str; 4] = [
    "20400518 0000002a 00000000 000f4240 00002710 00000000",
    "20e00318 00000011 00000022 000186a0 000186a0 00000000",
    "23c40321 00000011 00000022 000186a0 000186a0 00000000 010901 736563726574",
    "20c4033c 00000011 00000022 000186a0 000186a0 00000000 021c0100 00000007 0000000000000000000000000000000000000000",
];

fn unhex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .filter_map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect()
}

fn input(rng: &mut Rng) -> Vec<u8> {
    if rng.below(4) == 0 {
        return (0..rng.below(80)).map(|_| rng.byte()).collect();
    }
    let mut bytes = unhex(SEEDS[rng.below(SEEDS.len())]);
    harness::mutate(rng, &mut bytes, 6);
    bytes
}

fn session_in(state: State) -> Session {
    let mut session = Session::new(SessionConfig::default(), 0x11, 1);
    if state != State::AdminDown {
        session.handle(Event::Start);
    }
    session
}

fn run(bytes: &[u8]) -> Result<String, String> {
    let packet = match Packet::decode(bytes) {
        Ok(packet) => packet,
        Err(error) => return Ok(format!("dropped {}", error.as_label())),
    };
    let again = packet.encode();
    if Packet::decode(&again).as_ref() != Ok(&packet) {
        return Err(format!("round trip changed {packet:?}"));
    }
    for state in [State::AdminDown, State::Down] {
        let mut session = session_in(state);
        for _ in 0..3 {
            session.handle(Event::Received(packet.clone()));
        }
        session.handle(Event::TimerExpired(Timer::Transmit));
        session.handle(Event::TimerExpired(Timer::Detect));
    }
    Ok(format!("ok {}", packet.state))
}

fn main() {
    let (seconds, seed) = harness::arguments(0x5eed_bfd0_cafe_f00d);
    println!("{} seed packets, seed {seed}, {seconds} s", SEEDS.len());
    harness::fuzz(seconds, &mut Rng(seed), input, run);
}
