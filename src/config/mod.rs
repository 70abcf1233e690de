//! The configuration contract: parse (YAML or JSON), validate every rule at once, produce the model.
//!
//! The text is read into a spanned tree ([`tree`], by [`yaml`] or [`json`]), then [`validate`] walks it, checks every
//! rule of the schema (the Go daemon's keys, types and meanings, plus the documented extensions) and
//! collects every error with its line, column and field path before giving up.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod diff;
mod duration;
mod error;
mod json;
mod keys;
pub mod model;
pub mod model_health;
pub mod schema;
mod session;
mod suggest;
mod tree;
mod validate;
mod yaml;

use std::path::Path;

pub use error::{
    ConfigError, ConfigErrorKind, ConfigErrors, ConfigWarning, DurationError, HostPortError,
};
pub use tree::Pos;

/// Parses and validates a configuration file's text; `path` decides the format (`.yaml`/`.yml` or
/// `.json`, any case) and prefixes every error line.
///
/// Returns every error found, never only the first.
pub fn load(path: &Path, text: &str) -> Result<model::Config, ConfigErrors> {
    load_with_warnings(path, text).map(|(config, _)| config)
}

/// Like [`load`], and also returns what was accepted but deserves a log line (a route with host bits
/// set, a `multihop_ttl` without `enable_multihop`, ...), in file order.
pub fn load_with_warnings(
    path: &Path,
    text: &str,
) -> Result<(model::Config, Vec<ConfigWarning>), ConfigErrors> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    // A byte order mark is not part of the text (editors on Windows write one); a NUL byte would
    // end the YAML reader's input early, so it is an error at its position instead.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(pos) = nul_position(text) {
        let mut ctx = validate::Ctx::new(path);
        ctx.err(pos, "", ConfigErrorKind::NulByte);
        return Err(ConfigErrors(ctx.errors));
    }
    let parsed = match extension.as_deref() {
        Some("yaml" | "yml") => yaml::parse_yaml(text),
        Some("json") => json::parse_json(text),
        Some(other) => {
            return Err(ConfigError::whole_file(
                path,
                format!("unexpected file format: `.{other}` (use .yaml, .yml or .json)"),
            )
            .into());
        }
        None => {
            return Err(ConfigError::whole_file(
                path,
                "the file name has no extension (use .yaml, .yml or .json)",
            )
            .into());
        }
    };
    let mut ctx = validate::Ctx::new(path);
    let root = match parsed {
        Ok(Some(root)) => root,
        Ok(None) => {
            ctx.err(
                Pos { line: 1, column: 1 },
                "",
                ConfigErrorKind::Syntax(
                    "the file is empty; it needs announcer, services and metrics".to_string(),
                ),
            );
            return Err(ConfigErrors(ctx.errors));
        }
        Err(e) => {
            ctx.err(e.pos, "", ConfigErrorKind::Syntax(e.message));
            return Err(ConfigErrors(ctx.errors));
        }
    };
    let config = ctx.root(&root);
    let mut errors = ctx.errors;
    errors.sort_by_key(|e| (e.line, e.column));
    let mut warnings = ctx.warnings;
    warnings.sort_by_key(|w| (w.line, w.column));
    match config {
        Some(config) if errors.is_empty() => Ok((config, warnings)),
        _ if errors.is_empty() => {
            Err(ConfigError::whole_file(path, "the configuration is invalid").into())
        }
        _ => Err(ConfigErrors(errors)),
    }
}

/// Where the first NUL byte of `text` is, if it has one (columns count characters, as the readers do).
fn nul_position(text: &str) -> Option<Pos> {
    let offset = text.find('\0')?;
    let before = text.get(..offset).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Some(Pos {
        line: before.matches('\n').count() + 1,
        column: before.get(line_start..).unwrap_or_default().chars().count() + 1,
    })
}
