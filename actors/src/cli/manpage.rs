//! anycastd(8), generated: NAME, SYNOPSIS and OPTIONS come from the clap definition
//! (clap_mangen), COMMANDS and ENVIRONMENT from the subcommands and the environment table, and
//! the prose sections (DESCRIPTION, SIGNALS, FILES, ...) from `packaging/man/anycastd.sections`,
//! which holds roff written by hand and is merged in here.

use std::io::{self, Write};

use clap::{Arg, CommandFactory};

use super::{Cli, ENVIRONMENT};

/// The hand-written sections. The line [`GENERATED`] marks where the generated OPTIONS,
/// COMMANDS and ENVIRONMENT go.
const SECTIONS: &str = include_str!("../../../packaging/man/anycastd.sections");
const GENERATED: &str = ".\\\" @generated@";

/// Writes the whole page in roff.
pub fn write(out: &mut dyn Write) -> io::Result<()> {
    let command = Cli::command();
    let version = command.get_version().unwrap_or_default().to_string();
    let man = clap_mangen::Man::new(command.clone())
        .section("8")
        .manual("System Administration")
        .source(format!("anycastd {version}"))
        .date("2026");
    let (before, after) = SECTIONS.split_once(GENERATED).unwrap_or((SECTIONS, ""));
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    out.write_all(before.as_bytes())?;
    man.render_options_section(out)?;
    let mut text = String::new();
    commands(&command, &mut text);
    environment(&mut text);
    out.write_all(text.as_bytes())?;
    out.write_all(after.trim_start_matches('\n').as_bytes())?;
    Ok(())
}

/// COMMANDS: each subcommand (and theirs, recursively) with its synopsis, text and arguments.
fn commands(root: &clap::Command, out: &mut String) {
    if root.get_subcommands().next().is_none() {
        return;
    }
    out.push_str(".SH COMMANDS\n");
    subcommands(root, "anycastd", out);
}

fn subcommands(parent: &clap::Command, prefix: &str, out: &mut String) {
    for sub in parent.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let name = format!("{prefix} {}", sub.get_name());
        out.push_str(&format!(".SS \"{}\"\n", escape(&name)));
        let mut usage = sub.clone().bin_name(name.clone());
        let usage = usage.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ").trim();
        out.push_str(&format!(".B {}\n.PP\n", escape(usage)));
        let about = sub.get_long_about().or(sub.get_about());
        if let Some(about) = about {
            out.push_str(&paragraph(&about.to_string()));
        }
        for arg in sub.get_arguments() {
            if arg.is_hide_set() || matches!(arg.get_id().as_str(), "help" | "version") {
                continue;
            }
            argument(arg, out);
        }
        subcommands(sub, &name, out);
    }
}

/// One `.TP` entry: the argument's form, then its help and possible values.
fn argument(arg: &Arg, out: &mut String) {
    let value = arg
        .get_value_names()
        .map(|names| {
            names
                .iter()
                .map(|n| format!("\\fI{}\\fR", escape(n)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let mut forms = Vec::new();
    if let Some(short) = arg.get_short() {
        forms.push(format!("\\fB\\-{short}\\fR"));
    }
    if let Some(long) = arg.get_long() {
        forms.push(format!("\\fB\\-\\-{}\\fR", escape(long)));
    }
    let head = if forms.is_empty() {
        value
    } else if arg.get_action().takes_values() && !value.is_empty() {
        format!("{} {value}", forms.join(", "))
    } else {
        forms.join(", ")
    };
    out.push_str(&format!(".TP\n{head}\n"));
    let help = arg.get_long_help().or(arg.get_help());
    let mut text = help.map(|h| h.to_string()).unwrap_or_default();
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    if !values.is_empty() {
        text.push_str(&format!(" [possible values: {}]", values.join(", ")));
    }
    out.push_str(&escape(text.trim()));
    out.push('\n');
}

/// ENVIRONMENT, from the same table as `--help`.
fn environment(out: &mut String) {
    out.push_str(".SH ENVIRONMENT\n");
    for var in ENVIRONMENT {
        out.push_str(&format!(".TP\n.B {}\n{}\n", var.name, escape(var.long)));
    }
}

/// Paragraphs of `text` (blank lines between them) as roff.
fn paragraph(text: &str) -> String {
    let mut out = String::new();
    for (i, para) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push_str(".PP\n");
        }
        out.push_str(&escape(para.trim()));
        out.push('\n');
    }
    out
}

/// Text as roff: backslashes and hyphens escaped, no line starting with a control character.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    escaped
        .lines()
        .map(|line| {
            if line.starts_with('.') || line.starts_with('\'') {
                format!("\\&{line}")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> String {
        let mut out = Vec::new();
        write(&mut out).expect("render");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn the_page_has_the_generated_and_the_written_sections_in_order() {
        let page = page();
        let order = [
            ".TH anycastd 8",
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH DESCRIPTION",
            ".SH OPTIONS",
            ".SH COMMANDS",
            ".SH ENVIRONMENT",
            ".SH SIGNALS",
            ".SH EXIT STATUS",
            ".SH FILES",
            ".SH SEE ALSO",
        ];
        let mut at = 0;
        for heading in order {
            let found = page.get(at..).and_then(|rest| rest.find(heading));
            let Some(found) = found else {
                panic!("{heading} missing or out of order:\n{page}");
            };
            at += found;
        }
        assert!(!page.contains(GENERATED), "the marker leaked:\n{page}");
    }

    #[test]
    fn the_page_names_every_flag_subcommand_and_variable() {
        let page = page();
        let command = Cli::command();
        for arg in command.get_arguments() {
            if let Some(long) = arg.get_long() {
                let roff = format!("\\-\\-{}", long.replace('-', "\\-"));
                assert!(page.contains(&roff), "--{long} missing");
            }
        }
        for sub in command.get_subcommands() {
            let name = format!(".SS \"anycastd {}\"", sub.get_name());
            assert!(
                sub.get_name() == "help" || page.contains(&name),
                "{name} missing"
            );
        }
        for var in ENVIRONMENT {
            assert!(page.contains(&format!(".B {}\n", var.name)), "{}", var.name);
        }
    }

    #[test]
    fn text_is_escaped_for_roff() {
        assert_eq!(escape("--x a\\b"), "\\-\\-x a\\eb");
        assert_eq!(escape(".start\n'quote"), "\\&.start\n\\&'quote");
    }
}
