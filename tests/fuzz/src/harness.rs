//! What the fuzz loops share: a reproducible PRNG, the command line, and the loop that runs inputs
//! under `catch_unwind`, counts outcomes and stops at the first panic or failed property.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// xorshift64*: small, fast, reproducible from `--seed`.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    pub fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

/// Applies 1 to `max_edits` random edits to `bytes`: insert, remove, truncate, flip a bit, set an
/// edge value (0, 1, 0x7f, 0x80, 0xff) or a random byte.
pub fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>, max_edits: usize) {
    for _ in 0..1 + rng.below(max_edits) {
        if bytes.is_empty() {
            break;
        }
        let i = rng.below(bytes.len());
        match rng.below(7) {
            0 => bytes.insert(i, rng.byte()),
            1 => {
                bytes.remove(i);
            }
            2 => bytes.truncate(i),
            3 => bytes[i] ^= 1 << rng.below(8),
            4 => bytes[i] = [0, 1, 0x7f, 0x80, 0xff][rng.below(5)],
            _ => bytes[i] = rng.byte(),
        }
    }
}

/// `--seconds` (default 60) and `--seed` (default `seed`) from the command line.
pub fn arguments(seed: u64) -> (u64, u64) {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    (
        arg("--seconds").unwrap_or(60),
        arg("--seed").unwrap_or(seed) | 1,
    )
}

/// Runs `run` on inputs from `input` for `seconds`; prints the outcome counts, or the input as hex
/// and exits 1 at the first panic or `Err`.
pub fn fuzz(
    seconds: u64,
    rng: &mut Rng,
    mut input: impl FnMut(&mut Rng) -> Vec<u8>,
    run: impl Fn(&[u8]) -> Result<String, String>,
) {
    panic::set_hook(Box::new(|_| {}));
    let start = Instant::now();
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let mut runs: u64 = 0;
    while start.elapsed() < Duration::from_secs(seconds) {
        for _ in 0..1000 {
            let bytes = input(rng);
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            match panic::catch_unwind(AssertUnwindSafe(|| run(&bytes))) {
                Ok(Ok(label)) => *outcomes.entry(label).or_default() += 1,
                Ok(Err(why)) => {
                    eprintln!("property failed: {why}\ninput: {hex}");
                    std::process::exit(1);
                }
                Err(_) => {
                    eprintln!("panic\ninput: {hex}");
                    std::process::exit(1);
                }
            }
            runs += 1;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{runs} inputs in {elapsed:.1} s ({:.0}/s), no panic; outcomes:",
        runs as f64 / elapsed
    );
    for (label, count) in outcomes {
        println!("{count:>10}  {label}");
    }
}
