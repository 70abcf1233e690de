//! Configuration errors and warnings: each one a position, a field path and a message.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use super::model::DampeningError;

/// What is wrong with a value. Each variant renders as the one-line message the operator reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigErrorKind {
    /// The file cannot be parsed (YAML or JSON syntax, empty file).
    #[error("{0}")]
    Syntax(String),
    /// Something about the file as a whole: it cannot be read, its extension is unknown.
    #[error("{0}")]
    File(String),
    /// The text holds a NUL byte (reported at its position): not a text file, or a damaged one.
    #[error("a NUL byte is not allowed in a configuration file (is it a text file?)")]
    NulByte,
    /// A key the schema does not have; `suggestion` is the closest known key.
    #[error("unknown key {key:?}{}", did_you_mean(suggestion))]
    UnknownKey {
        /// The key as written.
        key: String,
        /// A known key within a small edit distance.
        suggestion: Option<String>,
    },
    /// A required key is absent.
    #[error("missing required key {0:?}")]
    MissingKey(String),
    /// The value has the wrong type.
    #[error("expected {expected}, found {found}{}", then(hint))]
    WrongType {
        /// What the schema wants ("an integer").
        expected: String,
        /// What the file has ("a string").
        found: String,
        /// How to fix it, when there is an obvious way.
        hint: Option<String>,
    },
    /// A value is defined a second time.
    #[error("{what} is defined twice (first at line {first_line})")]
    Duplicate {
        /// What is duplicated ("peer 10.0.0.1", "key name").
        what: String,
        /// Line of the first definition.
        first_line: usize,
    },
    /// A duration string that does not parse.
    #[error("{0}")]
    Duration(#[from] DurationError),
    /// Zero or a negative value where a positive duration is needed.
    #[error("duration must be positive, found {found}")]
    NotPositive {
        /// `zero`, or the value as written.
        found: String,
    },
    /// A negative duration.
    #[error("duration must not be negative, found {found}")]
    Negative {
        /// The value as written.
        found: String,
    },
    /// A number or duration outside the range of its key.
    #[error("{value} is out of range {range}")]
    OutOfRange {
        /// The value as written.
        value: String,
        /// The accepted range (`1..=255`, `[0, 1]`, `1ms..=24h`).
        range: String,
    },
    /// A value above a maximum that a protocol sets.
    #[error("{value} is above {max}")]
    AboveMax {
        /// The value as written.
        value: String,
        /// The maximum and where it comes from.
        max: &'static str,
    },
    /// A string that is not what the key needs.
    #[error("{value:?} is not {what}{}", then(hint))]
    NotA {
        /// The value.
        value: String,
        /// What it should be ("an IP address", "a DNS name").
        what: String,
        /// How to fix it, when there is an obvious way.
        hint: Option<String>,
    },
    /// An address of the other family.
    #[error("{value:?} is an {is} address; an {needed} address is needed")]
    WrongFamily {
        /// The value.
        value: String,
        /// Its family (`IPv4`).
        is: &'static str,
        /// The family needed (`IPv6`).
        needed: &'static str,
    },
    /// A peer's `local_address` of another family than its `remote_address`.
    #[error("{local} and remote_address {remote} are of different address families")]
    DifferentFamilies {
        /// The peer's `local_address`.
        local: IpAddr,
        /// The peer's `remote_address`.
        remote: IpAddr,
    },
    /// An empty value where one is needed.
    #[error("must not be empty{}", then(&hint.map(str::to_string)))]
    Empty {
        /// What to do instead.
        hint: Option<&'static str>,
    },
    /// `announcer.routes` is empty while a service has no routes of its own.
    #[error("must not be empty: service {service:?} has no routes of its own")]
    NoRoutes {
        /// The first service without routes.
        service: String,
    },
    /// An empty list of peers, services or checks.
    #[error("at least one {0} is needed")]
    NoneGiven(&'static str),
    /// Two keys of which at most one may be set.
    #[error("set {first} or {second}, not both")]
    Exclusive {
        /// The first key.
        first: &'static str,
        /// The second key.
        second: &'static str,
    },
    /// Two keys of which one must be set.
    #[error("either {first} or {second} must be set")]
    NeitherGiven {
        /// The first key.
        first: &'static str,
        /// The second key.
        second: &'static str,
    },
    /// Two settings that cannot go together.
    #[error("{key} cannot be combined with {with}")]
    Incompatible {
        /// The key reported.
        key: &'static str,
        /// The key it conflicts with.
        with: &'static str,
    },
    /// A `process` name longer than the kernel keeps (`/proc/PID/comm`, 15 bytes).
    #[error(
        "{0:?} is longer than the 15 bytes the kernel keeps of a process name (/proc/PID/comm)"
    )]
    ProcessName(String),
    /// `watch: true` on a check without a TCP target.
    #[error(
        "watch: true needs a TCP target to watch, and {0}; it works with http_2xx, tcp_connect, dns_lookup and tls_certificate with remote"
    )]
    WatchUnsupported(&'static str),
    /// `withdraw: true` beside route attributes.
    #[error("withdraw: true takes no route attributes")]
    WithdrawWithAttributes,
    /// A name outside a fixed set (a strategy, a check kind, a record type...).
    #[error("unknown {what} {value:?}; {}", match suggestion {
        Some(s) => format!("did you mean {s:?}?"),
        None => format!("expected {expected}"),
    })]
    Unknown {
        /// What the name names ("strategy").
        what: &'static str,
        /// The name as written.
        value: String,
        /// A known name within a small edit distance.
        suggestion: Option<String>,
        /// The known names.
        expected: String,
    },
    /// A `states.*.peers` key that names no configured peer.
    #[error("{name:?} is not a configured peer name{}", match suggestion {
        Some(s) => format!("; did you mean {s:?}?"),
        None => String::new(),
    })]
    UnknownPeer {
        /// The name as written.
        name: String,
        /// A configured peer name within a small edit distance.
        suggestion: Option<String>,
    },
    /// A host and port that cannot be split.
    #[error("{0}")]
    HostPort(HostPortError),
    /// A URL whose host cannot be split from its port.
    #[error("bad host in URL: {0}")]
    UrlHost(HostPortError),
    /// A URL without a host, or with white space.
    #[error("{0:?} has no host or contains white space")]
    UrlWithoutHost(String),
    /// A TFTP URL without a file.
    #[error("{0:?} names no file (tftp://host[:port]/file)")]
    UrlWithoutFile(String),
    /// An IP address where an address and port are needed.
    #[error("{value:?} has no port; write an address and port such as {example}")]
    NoPort {
        /// The value.
        value: String,
        /// An example of the form.
        example: &'static str,
    },
    /// AS number 0.
    #[error("AS number 0 is reserved; use 1..=4294967295")]
    ReservedAsn,
    /// A hold time of 1 or 2 seconds.
    #[error("hold time {0} is not allowed: use 0 or 3..=65535 (RFC 4271 §4.2)")]
    HoldTime(u16),
    /// A TCP MD5 key longer than Linux accepts.
    #[error("the password has {0} bytes; at most 80 are allowed (RFC 2385 key limit of Linux)")]
    Md5TooLong(usize),
    /// An `exec` command without a program.
    #[error("must name the program to run")]
    NoProgram,
    /// A SHA-256 that is not 64 hexadecimal digits.
    #[error("expected 64 hexadecimal digits")]
    NotSha256,
    /// `at_least_n_percentage` without `strategy_options`.
    #[error("at_least_n_percentage needs strategy_options: {{n: <fraction in [0, 1]>}}")]
    PercentageWithoutOptions,
    /// Dampening settings that do not fit together.
    #[error("{0}")]
    Dampening(DampeningError),
    /// A reader asked its table for a key of another type: a defect of the loader, not of the file.
    #[error("is not a {0} key of this table")]
    NotInTable(&'static str),
}

/// `; hint`, or nothing.
fn then(hint: &Option<String>) -> String {
    hint.as_ref().map(|h| format!("; {h}")).unwrap_or_default()
}

/// `; did you mean "x"?`, or nothing.
fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!("; did you mean {s:?}?"))
        .unwrap_or_default()
}

/// A Go duration string that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not a sequence of numbers with units.
    #[error("invalid duration {0:?}")]
    Invalid(String),
    /// A number without a unit.
    #[error("missing unit in duration {0:?} (units: ns, us, ms, s, m, h)")]
    MissingUnit(String),
    /// A unit Go does not know.
    #[error("unknown unit {unit:?} in duration {text:?} (units: ns, us, ms, s, m, h)")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole duration.
        text: String,
    },
    /// More than Go's largest duration (about 2562047h).
    #[error("duration {0:?} is too large")]
    TooLarge(String),
}

/// A `host:port` that cannot be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostPortError {
    /// `[` without `]`.
    #[error("{0:?} has no closing ']'")]
    NoClosingBracket(String),
    /// Brackets around something that is not an IPv6 address.
    #[error("{0:?} is not an IPv6 address")]
    NotIpv6(String),
    /// Text after `]` that is not `:port`.
    #[error("unexpected {after:?} after ']' in {text:?}")]
    AfterBracket {
        /// What follows `]`.
        after: String,
        /// The whole value.
        text: String,
    },
    /// Several colons without brackets.
    #[error("{0:?} is not host:port (write an IPv6 address as [addr]:port)")]
    Unbracketed(String),
    /// An empty host.
    #[error("{0:?} has no host")]
    NoHost(String),
    /// A host with white space, `/` or `@`.
    #[error("{0:?} is not a host name or address")]
    BadHost(String),
    /// A port that is not in 1..=65535.
    #[error("port {0:?} is not a number in 1..=65535")]
    BadPort(String),
    /// No port where one is needed.
    #[error("{0:?} has no port (write host:port)")]
    NoPort(String),
}

/// One error: `FILE:LINE:COL: field: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// Line, from 1 (0 when the error concerns the whole file, e.g. it cannot be read).
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// Dotted path of the value (`services[0].checks[1].spec.timeout`); empty for the whole document.
    pub field: String,
    /// What is wrong.
    pub kind: ConfigErrorKind,
}

impl ConfigError {
    /// An error about the whole file (for example it cannot be read), shown as `FILE: message`.
    pub fn whole_file(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: 0,
            column: 0,
            field: String::new(),
            kind: ConfigErrorKind::File(message.into()),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.path.display())?;
        if self.line > 0 {
            write!(f, "{}:{}:", self.line, self.column)?;
        }
        if !self.field.is_empty() {
            write!(f, " {}:", self.field)?;
        }
        write!(f, " {}", self.kind)
    }
}

impl std::error::Error for ConfigError {}

/// Every error found in one file, in file order; `Display` writes one line per error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// Number of errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is none (never the case for a returned `Err`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        Self(vec![error])
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.0 {
            writeln!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Something accepted but worth a log line, with the same shape as an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The file.
    pub path: PathBuf,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// Dotted path of the value.
    pub field: String,
    /// What was accepted and how it was read.
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.field,
            self.message
        )
    }
}
