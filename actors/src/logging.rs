//! Logging setup: `LOG_LEVEL` (the Go daemon's logrus names, any case, default WARN) and
//! `LOG_FORMAT` (`json`: one JSON object per line with ts, level, target, msg and the key-values;
//! anything else: a human line with `key=value` pairs). Under systemd, when `JOURNAL_STREAM` names
//! standard error, each line starts with its syslog priority (`<4>`) and carries no timestamp of its
//! own: the journal stamps it and files it by priority, so `journalctl -p warning` works.

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

/// Where the lines go: a terminal or file (stamped), or the journal (priority prefix, no stamp).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Human or JSON.
    pub format: Format,
    /// Standard error is systemd's journal stream.
    pub journal: bool,
}

impl Style {
    /// The style the environment asks for: `LOG_FORMAT` and `JOURNAL_STREAM` against standard error.
    pub fn from_env() -> Style {
        let format = match std::env::var("LOG_FORMAT") {
            Ok(f) if f.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Human,
        };
        let stream = std::env::var("JOURNAL_STREAM").ok();
        let journal = stderr_identity()
            .is_some_and(|(dev, ino)| journal_stream_is(stream.as_deref(), dev, ino));
        Style { format, journal }
    }
}

/// Device and inode of standard error (what systemd puts in `JOURNAL_STREAM`).
fn stderr_identity() -> Option<(u64, u64)> {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let fd = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
    let meta = std::fs::File::from(fd).metadata().ok()?;
    Some((meta.dev(), meta.ino()))
}

/// Whether `JOURNAL_STREAM` (`DEVICE:INODE`, decimal) names the file with `dev` and `ino`. systemd
/// sets it for the service's own standard error; a child whose stderr was redirected inherits the
/// variable but not the stream, and must not write journal prefixes into a file.
pub fn journal_stream_is(value: Option<&str>, dev: u64, ino: u64) -> bool {
    let Some((d, i)) = value.and_then(|v| v.trim().split_once(':')) else {
        return false;
    };
    d.parse() == Ok(dev) && i.parse() == Ok(ino)
}

/// The syslog priority of a level, as sd-daemon(3) prefixes: error 3, warning 4, info 6, debug 7.
pub fn priority(level: log::Level) -> u8 {
    match level {
        log::Level::Error => 3,
        log::Level::Warn => 4,
        log::Level::Info => 6,
        log::Level::Debug | log::Level::Trace => 7,
    }
}

/// Installs the global logger, writing to stderr.
pub fn init(level: LevelFilter, style: Style) {
    let mut builder = env_logger::Builder::new();
    builder
        .filter_level(level)
        .target(env_logger::Target::Stderr);
    builder.format(move |buf, record| {
        let ts = (!style.journal).then(|| buf.timestamp_micros().to_string());
        writeln!(buf, "{}", line(style, ts.as_deref(), record))
    });
    // A second logger (tests in one process) is harmless: the first one stays.
    let _ = builder.try_init();
}

/// One log line in `style`: `<N>` and no stamp for the journal, else stamped `ts`.
pub fn line(style: Style, ts: Option<&str>, record: &log::Record<'_>) -> String {
    if style.journal {
        format!(
            "<{}>{}",
            priority(record.level()),
            render(style.format, None, record)
        )
    } else {
        render(style.format, ts, record)
    }
}

/// One log line (without the newline) in `format`, stamped `ts` when there is one.
pub fn render(format: Format, ts: Option<&str>, record: &log::Record<'_>) -> String {
    let mut fields = Fields(Vec::new());
    let _ = record.key_values().visit(&mut fields);
    match format {
        Format::Json => {
            let mut object = serde_json::Map::new();
            if let Some(ts) = ts {
                object.insert("ts".into(), ts.into());
            }
            object.insert("level".into(), record.level().as_str().into());
            object.insert("target".into(), record.target().into());
            object.insert("msg".into(), record.args().to_string().into());
            for (key, value) in fields.0 {
                object.entry(key).or_insert(value.into());
            }
            serde_json::Value::Object(object).to_string()
        }
        Format::Human => {
            let mut line = match ts {
                Some(ts) => format!("{ts} "),
                None => String::new(),
            };
            line.push_str(&format!(
                "{:<5} {}: {}",
                record.level(),
                record.target(),
                record.args()
            ));
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
        let line = with_record(|r| render(Format::Human, Some("2026-01-01T00:00:00.000000Z"), r));
        assert_eq!(
            line,
            "2026-01-01T00:00:00.000000Z WARN  anycastd_actors::service: service is down service=web \
             reason=\"attempt 1/1: status 500\""
        );
    }

    #[test]
    fn json_lines_are_one_object() {
        let line = with_record(|r| render(Format::Json, Some("2026-01-01T00:00:00.000000Z"), r));
        let value: serde_json::Value = serde_json::from_str(&line).expect("json");
        assert_eq!(value["ts"], "2026-01-01T00:00:00.000000Z");
        assert_eq!(value["level"], "WARN");
        assert_eq!(value["target"], "anycastd_actors::service");
        assert_eq!(value["msg"], "service is down");
        assert_eq!(value["service"], "web");
        assert_eq!(value["reason"], "attempt 1/1: status 500");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn journal_lines_carry_the_priority_and_no_stamp() {
        let journal = |format| Style {
            format,
            journal: true,
        };
        let human = with_record(|r| line(journal(Format::Human), None, r));
        assert_eq!(
            human,
            "<4>WARN  anycastd_actors::service: service is down service=web \
             reason=\"attempt 1/1: status 500\""
        );
        let json = with_record(|r| line(journal(Format::Json), None, r));
        let object = json.strip_prefix("<4>").expect("priority prefix");
        let value: serde_json::Value = serde_json::from_str(object).expect("json");
        assert_eq!(value["level"], "WARN");
        assert!(value.get("ts").is_none(), "{json}");
        let plain = Style {
            format: Format::Human,
            journal: false,
        };
        let stamped = with_record(|r| line(plain, Some("T"), r));
        assert!(stamped.starts_with("T WARN"), "{stamped}");
    }

    #[test]
    fn priorities_follow_syslog() {
        use log::Level::*;
        let got: Vec<u8> = [Error, Warn, Info, Debug, Trace]
            .into_iter()
            .map(priority)
            .collect();
        assert_eq!(got, [3, 4, 6, 7, 7]);
    }

    #[test]
    fn the_journal_stream_must_name_stderr() {
        assert!(journal_stream_is(Some("8:1234"), 8, 1234));
        assert!(!journal_stream_is(Some("8:1234"), 8, 1235));
        assert!(!journal_stream_is(Some("9:1234"), 8, 1234));
        assert!(!journal_stream_is(Some("garbage"), 8, 1234));
        assert!(!journal_stream_is(Some(""), 0, 0));
        assert!(!journal_stream_is(None, 8, 1234));
    }
}
