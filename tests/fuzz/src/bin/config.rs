//! Long-running fuzz loop for the configuration loader, on the stable toolchain.
//!
//! Mutates the files of `config-examples/`, `tests/data/bad/` and the kept corpus in
//! `tests/fuzz/corpus/config/` (byte edits, YAML/JSON tokens, line splices between files, extreme
//! numbers and durations, deep nesting) and runs `config::load` on each as `.yaml` and `.json`.
//! Properties: no panic; an error list is never empty and every line starts with the path; a file
//! that loads loads again to the same value and `diff(config, config)` is empty. An input that gives
//! a new error shape (the message with digits and quoted text removed) joins the corpus, so the
//! corpus follows the validator's branches without coverage instrumentation.
//! A failing input is written to `tests/fuzz/crashes/` and the run exits 1: make it a regression test
//! in `tests/core/config/`.
//!
//! ```text
//! cargo run --release --manifest-path tests/fuzz/Cargo.toml --bin config -- --execs 10000000 [--seed N]
//! cargo run --release --manifest-path tests/fuzz/Cargo.toml --bin config -- --seconds 600 [--seed N]
//! cargo run --release --manifest-path tests/fuzz/Cargo.toml --bin config -- --minimize
//! ```

use std::collections::BTreeSet;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anycastd::config;

/// xorshift64*: small, fast, reproducible from `--seed`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

/// At most this many corpus files are kept (per run, and by `--minimize`), so the kept corpus stays
/// small enough to commit.
const MAX_KEPT: usize = 400;

/// Tokens that matter to YAML, JSON and the validator.
const TOKENS: &[&str] = &[
    ":",
    ": ",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\"",
    "'",
    "#",
    "&a ",
    "*a",
    "<<: *a",
    "!!str ",
    "!!binary ",
    "|",
    ">",
    "? ",
    "---\n",
    "...\n",
    "\t",
    "\n",
    "  ",
    "    ",
    "\r\n",
    "\u{feff}",
    "\\",
    "\\u0000",
    "null",
    "~",
    "true",
    "false",
    "0",
    "-1",
    "1e999",
    "0x10",
    "0o17",
    "1_000",
    "18446744073709551616",
    "4294967296",
    "65536",
    "255",
    "256",
    "0s",
    "1ns",
    "-5s",
    "1.5h",
    "9999999999999999h",
    "1m30s",
    "100ms",
    "5",
    "0.0.0.0",
    "255.255.255.255",
    "::",
    "::1",
    "fe80::1%eth0",
    "192.0.2.0/33",
    "2001:db8::/129",
    "10.0.0.1/32",
    "1.2.3.4:99999",
    "[::1]:53",
    "http://",
    "https://[::1]:8080/x",
    "localhost",
    "é",
    "\u{0}",
    "\u{10ffff}",
    "services",
    "announcer",
    "peers",
    "checks",
    "routes",
    "kind",
    "spec",
    "strategy",
    "strategy_options",
    "metrics",
    "lifecycle",
    "dampening",
    "states",
    "hold_time",
    "remote_port",
    "passive",
    "md5_password_file",
    "multihop_ttl",
    "enable_multihop",
    "local_asn",
    "remote_asn",
    "router_id",
    "check_interval",
    "rise",
    "fall",
    "group",
    "at_least_n_percentage",
    "all_in_group",
    "http_2xx",
    "dns_lookup",
    "icmp_ping",
    "ntpq",
    "tftp_rrq",
    "tls_cert",
    "exec",
    "file",
    "tcp_connect",
    "assigned_address",
    "interval",
    "timeout",
    "tries",
    "name",
    "withdraw",
    "prepend",
    "communities",
    "large_communities",
    "65535:0",
    "1:2:3",
    "med",
];

fn read_dir_files(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let wanted = path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json" || e == "txt");
        if wanted && let Ok(bytes) = std::fs::read(&path) {
            out.push(bytes);
        }
    }
}

fn lines(text: &[u8]) -> Vec<&[u8]> {
    text.split_inclusive(|&b| b == b'\n').collect()
}

/// One mutation of `base`, sometimes mixing in lines of `other`.
fn mutate(rng: &mut Rng, base: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = base.to_vec();
    let rounds = 1 + rng.below(6);
    for _ in 0..rounds {
        let len = out.len();
        match rng.below(11) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                out[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(len + 1);
                let token = rng.pick(TOKENS).copied().unwrap_or(":");
                out.splice(i..i, token.bytes());
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below(16.min(len - i));
                out.drain(i..i + n);
            }
            4 => {
                // Replace a line by one of the other file.
                let mine = lines(&out);
                let theirs = lines(other);
                if let (false, Some(line)) = (mine.is_empty(), rng.pick(&theirs)) {
                    let k = rng.below(mine.len());
                    let mut next = Vec::new();
                    for (j, l) in mine.iter().enumerate() {
                        next.extend_from_slice(if j == k { line } else { l });
                    }
                    out = next;
                }
            }
            5 => {
                // Duplicate or drop a line.
                let mine: Vec<Vec<u8>> = lines(&out).iter().map(|l| l.to_vec()).collect();
                if !mine.is_empty() {
                    let k = rng.below(mine.len());
                    let mut next = Vec::new();
                    for (j, l) in mine.iter().enumerate() {
                        if j != k || rng.below(2) == 0 {
                            next.extend_from_slice(l);
                        }
                        if j == k {
                            next.extend_from_slice(l);
                        }
                    }
                    out = next;
                }
            }
            6 => {
                // Re-indent a line.
                let mine: Vec<Vec<u8>> = lines(&out).iter().map(|l| l.to_vec()).collect();
                if !mine.is_empty() {
                    let k = rng.below(mine.len());
                    let shift = rng.below(9);
                    let mut next = Vec::new();
                    for (j, l) in mine.iter().enumerate() {
                        if j == k {
                            let trimmed: Vec<u8> =
                                l.iter().copied().skip_while(|&b| b == b' ').collect();
                            next.extend(std::iter::repeat_n(b' ', shift));
                            next.extend_from_slice(&trimmed);
                        } else {
                            next.extend_from_slice(l);
                        }
                    }
                    out = next;
                }
            }
            7 => {
                // Replace a scalar after `: ` by a token.
                if let Some(pos) = find_all(&out, b": ").get(rng.below(find_all(&out, b": ").len()))
                {
                    let start = pos + 2;
                    let end = out[start..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(out.len(), |e| start + e);
                    let token = rng.pick(TOKENS).copied().unwrap_or("0");
                    out.splice(start..end, token.bytes());
                }
            }
            8 => {
                // Deep nesting.
                let ceiling = if rng.below(20) == 0 { 5000 } else { 64 };
                let depth = 1 + rng.below(ceiling);
                let (open, close): (&[u8], &[u8]) = match rng.below(3) {
                    0 => (b"[", b"]"),
                    1 => (b"{a: ", b"}"),
                    _ => (b"- ", b""),
                };
                let i = rng.below(len + 1);
                let mut nest = Vec::new();
                for _ in 0..depth {
                    nest.extend_from_slice(open);
                }
                nest.push(b'1');
                for _ in 0..depth {
                    nest.extend_from_slice(close);
                }
                out.splice(i..i, nest);
            }
            9 => {
                // Splice a chunk of the other file.
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let b = a + rng.below((other.len() - a).min(200) + 1);
                    let i = rng.below(len + 1);
                    out.splice(i..i, other[a..b].iter().copied());
                }
            }
            _ => {
                // Repeat a list item many times (large inputs, duplicate detection).
                let mine: Vec<Vec<u8>> = lines(&out).iter().map(|l| l.to_vec()).collect();
                let items: Vec<usize> = (0..mine.len())
                    .filter(|&j| mine[j].iter().find(|&&b| b != b' ') == Some(&b'-'))
                    .collect();
                if let Some(&k) = rng.pick(&items) {
                    let times = 1 + rng.below(50);
                    let mut next = Vec::new();
                    for (j, l) in mine.iter().enumerate() {
                        next.extend_from_slice(l);
                        if j == k {
                            for _ in 0..times {
                                next.extend_from_slice(l);
                            }
                        }
                    }
                    out = next;
                }
            }
        }
    }
    out.truncate(256 * 1024);
    out
}

fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

/// The error's shape: digits and quoted text removed, so values do not make new shapes.
fn shape(line: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    let body = line.split_once(": ").map_or(line, |(_, rest)| rest);
    for c in body.chars() {
        if c == '"' {
            quoted = !quoted;
            out.push('"');
        } else if !quoted && !c.is_ascii_digit() {
            out.push(c);
        }
    }
    out
}

/// A shape without its field path (`services[].checks[].spec.url: `), for minimizing the corpus to
/// one input per kind of message.
fn coarse(shape: &str) -> String {
    let (file, rest) = shape.split_once(": ").unwrap_or(("", shape));
    let rest = rest.trim_start_matches([':', ' ']);
    let rest = match rest.split_once(": ") {
        Some((field, message))
            if !field.is_empty()
                && field
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c)) =>
        {
            message
        }
        _ => rest,
    };
    format!("{file}: {rest}")
}

/// Runs the properties on one input; `Ok(shapes)` are the error shapes seen.
fn run(bytes: &[u8]) -> Result<Vec<String>, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut shapes = Vec::new();
    for name in ["fuzz.yaml", "fuzz.json"] {
        let path = Path::new(name);
        match config::load(path, &text) {
            Err(errors) => {
                if errors.0.is_empty() {
                    return Err(format!("{name}: an empty error list"));
                }
                let rendered = errors.to_string();
                for line in rendered.lines() {
                    if !line.starts_with(name) {
                        return Err(format!("{name}: an error line without the path: {line:?}"));
                    }
                    shapes.push(format!("{name}: {}", shape(line)));
                }
            }
            Ok(first) => {
                let again = config::load(path, &text)
                    .map_err(|e| format!("{name}: loaded once, then failed:\n{e}"))?;
                if again != first {
                    return Err(format!("{name}: two loads of one text differ"));
                }
                let changes = config::diff::diff(&first, &again);
                if !changes.is_empty() {
                    return Err(format!("{name}: diff of a config with itself: {changes:?}"));
                }
                shapes.push(format!("{name}: ok"));
            }
        }
    }
    Ok(shapes)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    // `--seconds N` runs for N seconds instead (at most `--execs`, unbounded when not given).
    let seconds = arg("--seconds");
    let execs = arg("--execs").unwrap_or(if seconds.is_some() { u64::MAX } else { 1_000_000 });
    let budget = seconds.map(Duration::from_secs);
    let seed = arg("--seed").unwrap_or(0xc0f1_6f00_d5ee_d000) | 1;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus_dir = root.join("corpus/config");
    let crash_dir = root.join("crashes");
    let mut corpus = Vec::new();
    read_dir_files(&root.join("../../config-examples"), &mut corpus);
    read_dir_files(&root.join("../data/bad"), &mut corpus);
    let initial = corpus.len();
    read_dir_files(&corpus_dir, &mut corpus);
    let _ = std::fs::create_dir_all(&corpus_dir);
    let plan = match seconds {
        Some(seconds) => format!("{seconds} s"),
        None => format!("{execs} executions"),
    };
    println!(
        "{initial} seed files, {} kept corpus files, seed {seed}, {plan}",
        corpus.len() - initial
    );
    panic::set_hook(Box::new(|_| {}));

    let mut rng = Rng(seed);
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for input in corpus.iter().take(initial) {
        if let Ok(shapes) = run(input) {
            seen.extend(shapes);
        }
    }
    if args.iter().any(|a| a == "--minimize") {
        minimize(&corpus_dir, &mut seen);
        return;
    }
    for input in corpus.iter().skip(initial) {
        if let Ok(shapes) = run(input) {
            seen.extend(shapes);
        }
    }
    let start = Instant::now();
    let (mut slowest, mut slowest_input) = (Duration::ZERO, Vec::new());
    let mut added = 0usize;
    let mut last_report = Instant::now();
    let mut done = 0u64;
    for n in 0..execs {
        if budget.is_some_and(|budget| start.elapsed() >= budget) {
            break;
        }
        done = n + 1;
        let base = rng.pick(&corpus).cloned().unwrap_or_default();
        let other = rng.pick(&corpus).cloned().unwrap_or_default();
        let input = mutate(&mut rng, &base, &other);
        let began = Instant::now();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| run(&input)));
        let took = began.elapsed();
        if took > slowest {
            slowest = took;
            slowest_input = input.clone();
        }
        let failure = match outcome {
            Ok(Ok(shapes)) => {
                let new: Vec<String> = shapes.into_iter().filter(|s| !seen.contains(s)).collect();
                if !new.is_empty() && input.len() <= 8 * 1024 && added < MAX_KEPT {
                    let name = format!("{:016x}.txt", fnv(&input));
                    let _ = std::fs::write(corpus_dir.join(name), &input);
                    seen.extend(new);
                    corpus.push(input.clone());
                    added += 1;
                }
                None
            }
            Ok(Err(why)) => Some(why),
            Err(payload) => Some(format!(
                "panic: {}",
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            )),
        };
        if let Some(why) = failure {
            let _ = std::fs::create_dir_all(&crash_dir);
            let path = crash_dir.join(format!("{:016x}.txt", fnv(&input)));
            let _ = std::fs::write(&path, &input);
            eprintln!(
                "property failed after {n} executions: {why}\ninput saved to {}",
                path.display()
            );
            std::process::exit(1);
        }
        if last_report.elapsed() > Duration::from_secs(60) {
            last_report = Instant::now();
            let rate = n as f64 / start.elapsed().as_secs_f64();
            println!(
                "{n} executions ({rate:.0}/s), corpus {} (+{added}), {} shapes",
                corpus.len(),
                seen.len()
            );
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{done} executions in {elapsed:.0} s ({:.0}/s), no failure; corpus {} files (+{added} kept in {}), {} error shapes; slowest input {:?} ({} bytes)",
        done as f64 / elapsed,
        corpus.len(),
        corpus_dir.display(),
        seen.len(),
        slowest,
        slowest_input.len()
    );
}

/// Keeps, smallest first, only the kept corpus files that add an error shape the seeds and the
/// smaller files do not already reach; deletes the others.
fn minimize(dir: &Path, seen: &mut BTreeSet<String>) {
    let mut coarse_seen: BTreeSet<String> = seen.iter().map(|s| coarse(s)).collect();
    let seen = &mut coarse_seen;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(u64, PathBuf)> = entries
        .flatten()
        .map(|e| (e.metadata().map(|m| m.len()).unwrap_or(0), e.path()))
        .collect();
    files.sort();
    let (mut kept, mut removed) = (0, 0);
    for (_, path) in files {
        let bytes = std::fs::read(&path).unwrap_or_default();
        let shapes: Vec<String> = run(&bytes)
            .unwrap_or_default()
            .into_iter()
            .map(|s| coarse(&s))
            .collect();
        let new: Vec<String> = shapes.into_iter().filter(|s| !seen.contains(s)).collect();
        if new.is_empty() || kept >= MAX_KEPT {
            let _ = std::fs::remove_file(&path);
            removed += 1;
        } else {
            seen.extend(new);
            kept += 1;
        }
    }
    println!(
        "minimized {}: kept {kept}, removed {removed}, {} shapes",
        dir.display(),
        seen.len()
    );
}

/// FNV-1a, for corpus file names.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
