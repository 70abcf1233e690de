//! Logging setup: `LOG_LEVEL` (the Go daemon's logrus names, any case, default WARN) and
//! `LOG_FORMAT` (`json`: one JSON object per line with ts, level, target, msg and the key-values;
//! anything else: a human line with `key=value` pairs).

use std::io::Write;

use log::LevelFilter;
use log::kv::{Key, Value, VisitSource};

/// `LOG_LEVEL` value to a filter: TRACE, DEBUG, INFO, WARN, WARNING, ERROR, FATAL, PANIC, any case.
pub fn parse_level(text: &str) -> Result<LevelFilter, String> {
    match text.trim().to_ascii_uppercase().as_str() {
        "TRACE" => Ok(LevelFilter::Trace),
        "DEBUG" => Ok(LevelFilter::Debug),
        "INFO" => Ok(LevelFilter::Info),
        "WARN" | "WARNING" => Ok(LevelFilter::Warn),
        "ERROR" | "FATAL" | "PANIC" => Ok(LevelFilter::Error),
        _ => Err(format!(
            "invalid LOG_LEVEL {text:?}: expected one of TRACE, DEBUG, INFO, WARN, WARNING, ERROR, FATAL, PANIC"
        )),
    }
}

/// The output format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `2026-01-01T00:00:00.000000Z WARN target: message key=value`.
    Human,
    /// One JSON object per line.
    Json,
}

/// Installs the global logger, writing to stderr.
pub fn init(level: LevelFilter, format: Format) {
    let mut builder = env_logger::Builder::new();
    builder
        .filter_level(level)
        .target(env_logger::Target::Stderr);
    builder.format(move |buf, record| {
        let line = render(format, &buf.timestamp_micros().to_string(), record);
        writeln!(buf, "{line}")
    });
    // A second logger (tests in one process) is harmless: the first one stays.
    let _ = builder.try_init();
}

/// One log line (without the newline) in `format`, stamped `ts`.
pub fn render(format: Format, ts: &str, record: &log::Record<'_>) -> String {
    let mut fields = Fields(Vec::new());
    let _ = record.key_values().visit(&mut fields);
    match format {
        Format::Json => {
            let mut object = serde_json::Map::new();
            object.insert("ts".into(), ts.into());
            object.insert("level".into(), record.level().as_str().into());
            object.insert("target".into(), record.target().into());
            object.insert("msg".into(), record.args().to_string().into());
            for (key, value) in fields.0 {
                object.entry(key).or_insert(value.into());
            }
            serde_json::Value::Object(object).to_string()
        }
        Format::Human => {
            let mut line = format!(
                "{ts} {:<5} {}: {}",
                record.level(),
                record.target(),
                record.args()
            );
            for (key, value) in fields.0 {
                if value.is_empty()
                    || value.contains(|c: char| c.is_whitespace() || c == '"' || c == '=')
                {
                    line.push_str(&format!(" {key}={value:?}"));
                } else {
                    line.push_str(&format!(" {key}={value}"));
                }
            }
            line
        }
    }
}

struct Fields(Vec<(String, String)>);

impl<'kvs> VisitSource<'kvs> for Fields {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        self.0.push((key.as_str().to_string(), value.to_string()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_record<R>(f: impl FnOnce(&log::Record<'_>) -> R) -> R {
        let kvs: [(&str, &str); 2] = [("service", "web"), ("reason", "attempt 1/1: status 500")];
        f(&log::Record::builder()
            .level(log::Level::Warn)
            .target("anycastd_actors::service")
            .args(format_args!("service is down"))
            .key_values(&kvs)
            .build())
    }

    #[test]
    fn levels_accept_the_go_names_in_any_case() {
        assert_eq!(parse_level("warning"), Ok(LevelFilter::Warn));
        assert_eq!(parse_level("Fatal"), Ok(LevelFilter::Error));
        assert_eq!(parse_level("PANIC"), Ok(LevelFilter::Error));
        assert_eq!(parse_level("trace"), Ok(LevelFilter::Trace));
        assert!(parse_level("verbose").is_err());
        assert!(parse_level("").is_err());
    }

    #[test]
    fn human_lines_carry_the_key_values() {
        let line = with_record(|r| render(Format::Human, "2026-01-01T00:00:00.000000Z", r));
        assert_eq!(
            line,
            "2026-01-01T00:00:00.000000Z WARN  anycastd_actors::service: service is down service=web \
             reason=\"attempt 1/1: status 500\""
        );
    }

    #[test]
    fn json_lines_are_one_object() {
        let line = with_record(|r| render(Format::Json, "2026-01-01T00:00:00.000000Z", r));
        let value: serde_json::Value = serde_json::from_str(&line).expect("json");
        assert_eq!(value["ts"], "2026-01-01T00:00:00.000000Z");
        assert_eq!(value["level"], "WARN");
        assert_eq!(value["target"], "anycastd_actors::service");
        assert_eq!(value["msg"], "service is down");
        assert_eq!(value["service"], "web");
        assert_eq!(value["reason"], "attempt 1/1: status 500");
        assert!(!line.contains('\n'));
    }
}
