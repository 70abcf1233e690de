//! Configuration errors and warnings: each one a position, a field path and a message.

use std::fmt;
use std::path::PathBuf;

/// What is wrong with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// The file cannot be parsed (YAML or JSON syntax, unknown extension, empty file).
    Syntax(String),
    /// A key the schema does not have; `suggestion` is the closest known key.
    UnknownKey {
        /// The key as written.
        key: String,
        /// A known key within a small edit distance.
        suggestion: Option<String>,
    },
    /// A required key is absent.
    MissingKey(String),
    /// The value has the wrong type.
    WrongType {
        /// What the schema wants ("an integer").
        expected: String,
        /// What the file has ("a string").
        found: String,
        /// How to fix it, when there is an obvious way.
        hint: Option<String>,
    },
    /// A value is defined a second time.
    Duplicate {
        /// What is duplicated ("peer 10.0.0.1", "key name").
        what: String,
        /// Line of the first definition.
        first_line: usize,
    },
    /// The text holds a NUL byte (reported at its position): not a text file, or a damaged one.
    NulByte,
    /// A duration outside the range its key accepts.
    DurationOutOfRange {
        /// The value as written (`"1ns"`).
        value: String,
        /// The smallest accepted value (`1ms`).
        min: String,
        /// The largest accepted value (`24h`).
        max: String,
    },
    /// The value has the right type but is not acceptable.
    Invalid(String),
}

impl fmt::Display for ConfigErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(message) | Self::Invalid(message) => f.write_str(message),
            Self::UnknownKey {
                key,
                suggestion: Some(s),
            } => {
                write!(f, "unknown key {key:?}; did you mean {s:?}?")
            }
            Self::UnknownKey {
                key,
                suggestion: None,
            } => write!(f, "unknown key {key:?}"),
            Self::MissingKey(key) => write!(f, "missing required key {key:?}"),
            Self::WrongType {
                expected,
                found,
                hint: None,
            } => write!(f, "expected {expected}, found {found}"),
            Self::WrongType {
                expected,
                found,
                hint: Some(hint),
            } => {
                write!(f, "expected {expected}, found {found}; {hint}")
            }
            Self::NulByte => f.write_str(
                "a NUL byte is not allowed in a configuration file (is it a text file?)",
            ),
            Self::DurationOutOfRange { value, min, max } => {
                write!(f, "{value} is out of range {min}..={max}")
            }
            Self::Duplicate { what, first_line } => {
                write!(f, "{what} is defined twice (first at line {first_line})")
            }
        }
    }
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
            kind: ConfigErrorKind::Invalid(message.into()),
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
