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
    /// `2026-01-01T00:00:00.000Z WARN target: message key=value`.
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
    match format {
        Format::Json => builder.format(|buf, record| {
            let mut object = serde_json::Map::new();
            object.insert("ts".into(), buf.timestamp_millis().to_string().into());
            object.insert("level".into(), record.level().as_str().into());
            object.insert("target".into(), record.target().into());
            object.insert("msg".into(), record.args().to_string().into());
            let mut fields = Fields(Vec::new());
            let _ = record.key_values().visit(&mut fields);
            for (key, value) in fields.0 {
                object.entry(key).or_insert(value.into());
            }
            writeln!(buf, "{}", serde_json::Value::Object(object))
        }),
        Format::Human => builder.format(|buf, record| {
            write!(
                buf,
                "{} {:<5} {}: {}",
                buf.timestamp_millis(),
                record.level(),
                record.target(),
                record.args()
            )?;
            let mut fields = Fields(Vec::new());
            let _ = record.key_values().visit(&mut fields);
            for (key, value) in fields.0 {
                if value.contains(char::is_whitespace) || value.is_empty() {
                    write!(buf, " {key}={value:?}")?;
                } else {
                    write!(buf, " {key}={value}")?;
                }
            }
            writeln!(buf)
        }),
    };
    // A second logger (tests in one process) is harmless: the first one stays.
    let _ = builder.try_init();
}

struct Fields(Vec<(String, String)>);

impl<'kvs> VisitSource<'kvs> for Fields {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        self.0.push((key.as_str().to_string(), value.to_string()));
        Ok(())
    }
}
