//! Go `time.ParseDuration` syntax: `300ms`, `1m30s`, `1.5h`, `-2s`; units ns us µs ms s m h.

use std::time::Duration;

use super::error::DurationError;

/// A parsed Go duration: sign and magnitude.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GoDuration {
    pub(crate) negative: bool,
    pub(crate) magnitude: Duration,
}

/// Largest Go duration (`math.MaxInt64` nanoseconds).
const MAX_NANOS: u128 = i64::MAX as u128;

fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// Parses like Go's `time.ParseDuration`; the error says what is wrong.
pub(crate) fn parse(text: &str) -> Result<GoDuration, DurationError> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Ok(GoDuration {
            negative,
            magnitude: Duration::ZERO,
        });
    }
    if rest.is_empty() {
        return Err(DurationError::Invalid(text.to_string()));
    }
    let mut total: u128 = 0;
    let mut chars = rest.char_indices().peekable();
    while chars.peek().is_some() {
        let mut int: u128 = 0;
        let mut frac: u128 = 0;
        let mut scale: u128 = 1;
        let mut any_digit = false;
        while let Some(&(_, c)) = chars.peek() {
            let Some(d) = c.to_digit(10) else { break };
            int = int
                .checked_mul(10)
                .and_then(|v| v.checked_add(u128::from(d)))
                .filter(|v| *v <= MAX_NANOS)
                .ok_or_else(|| DurationError::TooLarge(text.to_string()))?;
            any_digit = true;
            chars.next();
        }
        if let Some(&(_, '.')) = chars.peek() {
            chars.next();
            while let Some(&(_, c)) = chars.peek() {
                let Some(d) = c.to_digit(10) else { break };
                if scale < 1_000_000_000_000_000_000 {
                    frac = frac * 10 + u128::from(d);
                    scale *= 10;
                }
                any_digit = true;
                chars.next();
            }
        }
        if !any_digit {
            return Err(DurationError::Invalid(text.to_string()));
        }
        let unit_start = chars.peek().map(|&(i, _)| i).unwrap_or(rest.len());
        while let Some(&(_, c)) = chars.peek() {
            if c == '.' || c.is_ascii_digit() {
                break;
            }
            chars.next();
        }
        let unit_end = chars.peek().map(|&(i, _)| i).unwrap_or(rest.len());
        let unit = rest.get(unit_start..unit_end).unwrap_or("");
        if unit.is_empty() {
            return Err(DurationError::MissingUnit(text.to_string()));
        }
        let Some(nanos) = unit_nanos(unit) else {
            return Err(DurationError::UnknownUnit {
                unit: unit.to_string(),
                text: text.to_string(),
            });
        };
        let value = int
            .checked_mul(nanos)
            .and_then(|v| v.checked_add(frac.checked_mul(nanos)? / scale))
            .and_then(|v| total.checked_add(v))
            .filter(|v| *v <= MAX_NANOS)
            .ok_or_else(|| DurationError::TooLarge(text.to_string()))?;
        total = value;
    }
    let secs = u64::try_from(total / 1_000_000_000).unwrap_or(u64::MAX);
    let nanos = u32::try_from(total % 1_000_000_000).unwrap_or(0);
    Ok(GoDuration {
        negative,
        magnitude: Duration::new(secs, nanos),
    })
}
