//! Long-running fuzz loop for the BGP codec, on the stable toolchain (no cargo-fuzz here).
//!
//! Feeds random bytes, header-shaped random bytes and mutations of the captured vectors in
//! `tests/data/` to `frame_len` and `Message::decode` under both AS widths, for `--seconds` seconds.
//! A panic, or a decoded message that does not survive encode then decode, prints the input as hex
//! and exits 1; add that input to `tests/core/codec/` as a regression test.
//!
//! ```text
//! cargo run --release --manifest-path tests/fuzz/Cargo.toml --bin anycastd-codec-fuzz -- --seconds 600 [--seed N]
//! ```

mod harness;

use std::path::Path;

use anycastd::bgp::codec::{DecodeContext, EncodeContext, Message, frame_len};
use bytes::BytesMut;
use harness::Rng;

fn seeds(data: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for daemon in ["bird", "gobgp"] {
        let Ok(entries) = std::fs::read_dir(data.join(daemon)) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let digits: String = text
                .lines()
                .filter(|l| !l.starts_with('#'))
                .flat_map(|l| l.chars())
                .filter(|c| c.is_ascii_hexdigit())
                .collect();
            let bytes: Option<Vec<u8>> = digits
                .as_bytes()
                .chunks(2)
                .map(|p| {
                    std::str::from_utf8(p)
                        .ok()
                        .and_then(|s| u8::from_str_radix(s, 16).ok())
                })
                .collect();
            out.extend(bytes);
        }
    }
    out
}

fn input(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    match rng.below(4) {
        0 => (0..rng.below(600)).map(|_| rng.byte()).collect(),
        1 => {
            let body: Vec<u8> = (0..rng.below(300)).map(|_| rng.byte()).collect();
            let mut bytes = vec![0xff; 16];
            bytes.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
            bytes.push(rng.below(7) as u8);
            bytes.extend(body);
            bytes
        }
        _ => {
            let mut bytes = seeds
                .get(rng.below(seeds.len()))
                .cloned()
                .unwrap_or_default();
            harness::mutate(rng, &mut bytes, 8);
            if rng.below(2) == 0 && bytes.len() >= 19 {
                bytes[..16].fill(0xff);
                let len = bytes.len().min(u16::MAX as usize) as u16;
                bytes[16..18].copy_from_slice(&len.to_be_bytes());
            }
            bytes
        }
    }
}

/// `Some(label)` for the outcome, or an error text when a property fails.
fn run(bytes: &[u8]) -> Result<String, String> {
    let framed = frame_len(bytes);
    let mut label = String::from("error");
    for four_octet_as in [false, true] {
        let dcx = DecodeContext { four_octet_as };
        match Message::decode(bytes, &dcx) {
            Ok(message) => {
                if framed != Ok(Some(bytes.len())) {
                    return Err(format!("decoded but frame_len said {framed:?}"));
                }
                let mut out = BytesMut::new();
                message.encode(&EncodeContext { four_octet_as }, &mut out);
                if Message::decode(&out, &dcx).as_ref() != Ok(&message) {
                    return Err(format!("round trip changed {message:?}"));
                }
                label = format!("ok {}", message.kind());
            }
            Err(error) if four_octet_as => {
                let n = error.notification();
                label = format!("{:?} {} / {}", error.action(), n.code, n.subcode);
            }
            Err(_) => {}
        }
    }
    Ok(label)
}

fn main() {
    let (seconds, seed) = harness::arguments(0x5eed_c0de_cafe_f00d);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let seeds = seeds(&data);
    println!("{} seed messages, seed {seed}, {seconds} s", seeds.len());
    harness::fuzz(seconds, &mut Rng(seed), |rng| input(rng, &seeds), run);
}
