//! Human tables for `anycastd ctl`, in the manner of `birdc show protocols`: a header line, one
//! row per item, columns padded to the widest cell. Input is the JSON the control socket answers
//! (the `/status` model), so the client and the daemon share one description of the state.

use serde_json::Value;

/// A table: column titles and rows of cells.
pub struct Table {
    titles: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    indent: usize,
}

impl Table {
    /// A table with these column titles.
    pub fn new(titles: &[&'static str]) -> Table {
        Table {
            titles: titles.to_vec(),
            rows: Vec::new(),
            indent: 0,
        }
    }

    /// Indents every line by `n` spaces.
    pub fn indented(mut self, n: usize) -> Table {
        self.indent = n;
        self
    }

    /// Adds a row (missing cells are empty).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table's text, one line per row after the header; trailing spaces trimmed.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.titles.iter().map(|t| t.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(width) = widths.get_mut(i) {
                    *width = (*width).max(cell.chars().count());
                }
            }
        }
        let line = |cells: Vec<&str>| {
            let mut out = " ".repeat(self.indent);
            for (i, width) in widths.iter().enumerate() {
                let cell = cells.get(i).copied().unwrap_or("");
                out.push_str(cell);
                let pad = width.saturating_sub(cell.chars().count()) + 2;
                out.push_str(&" ".repeat(pad));
            }
            out.trim_end().to_string() + "\n"
        };
        let mut out = line(self.titles.clone());
        for row in &self.rows {
            out.push_str(&line(row.iter().map(String::as_str).collect()));
        }
        out
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn list(value: &Value, separator: &str) -> String {
    value
        .as_array()
        .map(|items| items.iter().map(text).collect::<Vec<_>>().join(separator))
        .unwrap_or_default()
}

/// `2026-12-06 18:35:16` (UTC) for seconds since the Unix epoch.
pub fn utc(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return String::new();
    }
    let secs = seconds as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// `1d02:03:04` / `02:03:04` for a number of seconds.
pub fn span(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return String::new();
    }
    let secs = seconds as u64;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let clock = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    if days > 0 {
        format!("{days}d{clock}")
    } else {
        clock
    }
}

fn seconds_text(value: &Value) -> String {
    match value.as_f64() {
        Some(s) if s < 1.0 => format!("{:.1}ms", s * 1000.0),
        Some(s) => format!("{s:.2}s"),
        None => String::new(),
    }
}

fn time_text(value: &Value) -> String {
    value.as_f64().map(utc).unwrap_or_default()
}

fn empty(value: &Value) -> bool {
    value.as_array().is_none_or(Vec::is_empty)
}

/// The drains in force (`drains` of the status).
pub fn drains(status: &Value) -> String {
    let drains = &status["drains"];
    let mut table = Table::new(&["Drained", "By", "Reason", "Since"]);
    if drains["node"].is_object() {
        let node = &drains["node"];
        table.row(vec![
            "every service".into(),
            "operator".into(),
            text(&node["reason"]),
            time_text(&node["since"]),
        ]);
    }
    if let Some(file) = drains["file"].as_str() {
        table.row(vec![
            "every service".into(),
            "file".into(),
            format!("{file} exists"),
            String::new(),
        ]);
    }
    if let Some(services) = drains["services"].as_object() {
        for (name, drain) in services {
            table.row(vec![
                name.clone(),
                "operator".into(),
                text(&drain["reason"]),
                time_text(&drain["since"]),
            ]);
        }
    }
    if let Some(checks) = drains["checks"].as_object() {
        for (name, check) in checks {
            table.row(vec![
                name.clone(),
                "check".into(),
                format!("file check {}", text(check)),
                String::new(),
            ]);
        }
    }
    if table.rows.is_empty() {
        return "Drains: none\n".to_string();
    }
    table.render()
}

/// Every service with its state, reason and since when, and under each its checks' last results.
pub fn services(status: &Value) -> String {
    let mut out = String::new();
    let Some(services) = status["services"].as_array() else {
        return "No services\n".to_string();
    };
    for (i, service) in services.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut table = Table::new(&["Service", "State", "Since", "Reason"]);
        let mut state = text(&service["state"]);
        if state.is_empty() {
            state = "starting".to_string();
        }
        if service["held_down"] == Value::Bool(true) {
            state.push_str(" (held down)");
        }
        if service["suppressed"] == Value::Bool(true) {
            state.push_str(" (suppressed)");
        }
        table.row(vec![
            text(&service["name"]),
            state,
            time_text(&service["since"]),
            text(&service["reason"]),
        ]);
        out.push_str(&table.render());
        let mut checks =
            Table::new(&["Check", "Status", "Last", "Duration", "At", "Reason"]).indented(2);
        for check in service["checks"].as_array().into_iter().flatten() {
            checks.row(vec![
                text(&check["name"]),
                text(&check["status"]),
                text(&check["last"]),
                seconds_text(&check["duration"]),
                time_text(&check["at"]),
                text(&check["reason"]),
            ]);
        }
        out.push_str(&checks.render());
    }
    out
}

/// The columns of the neighbours' table, here and on the status page.
pub const PEER_COLUMNS: [&str; 8] = [
    "Peer",
    "Address",
    "State",
    "Uptime",
    "Hold",
    "Routes",
    "Capabilities",
    "Last error",
];

/// Every neighbour: address, state, uptime, hold time, capabilities, last error.
pub fn peers(status: &Value) -> String {
    let mut table = Table::new(&PEER_COLUMNS);
    for peer in status["peers"].as_array().into_iter().flatten() {
        table.row(vec![
            text(&peer["name"]),
            text(&peer["address"]),
            text(&peer["state"]),
            peer["uptime"].as_f64().map(span).unwrap_or_default(),
            peer["hold_time"]
                .as_u64()
                .map(|h| format!("{h}s"))
                .unwrap_or_default(),
            peer["routes"]
                .as_array()
                .map(|r| r.len().to_string())
                .unwrap_or_default(),
            list(&peer["capabilities"], ","),
            text(&peer["last_error"]),
        ]);
    }
    table.render()
}

/// The routes each neighbour (or only `only`) has from us, with their attributes. `None` when
/// `only` names no neighbour.
pub fn routes(status: &Value, only: Option<&str>) -> Option<String> {
    let mut out = String::new();
    let mut found = false;
    for peer in status["peers"].as_array().into_iter().flatten() {
        let name = text(&peer["name"]);
        if only.is_some_and(|only| only != name) {
            continue;
        }
        found = true;
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!(
            "Routes sent to {name} ({}, {}):\n",
            text(&peer["address"]),
            text(&peer["state"])
        ));
        if empty(&peer["routes"]) {
            out.push_str("  none\n");
            continue;
        }
        let mut table = Table::new(&[
            "Prefix",
            "Next hop",
            "AS path",
            "MED",
            "Local pref",
            "Communities",
            "Large communities",
        ])
        .indented(2);
        for route in peer["routes"].as_array().into_iter().flatten() {
            table.row(vec![
                text(&route["prefix"]),
                text(&route["next_hop"]),
                list(&route["as_path"], " "),
                text(&route["med"]),
                text(&route["local_pref"]),
                list(&route["communities"], " "),
                list(&route["large_communities"], " "),
            ]);
        }
        out.push_str(&table.render());
    }
    (found || only.is_none()).then_some(out)
}

/// Everything: header, drains, services, peers and routes.
pub fn status(status: &Value) -> String {
    let mut out = format!(
        "anycastd {}, configuration {}\n\n",
        text(&status["version"]),
        text(&status["config"])
    );
    out.push_str(&drains(status));
    out.push('\n');
    out.push_str(&services(status));
    out.push('\n');
    out.push_str(&peers(status));
    out.push('\n');
    out.push_str(&routes(status, None).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_to_the_widest_cell() {
        let mut table = Table::new(&["Name", "State"]);
        table.row(vec!["a-long-name".into(), "up".into()]);
        table.row(vec!["b".into(), "down".into()]);
        assert_eq!(
            table.render(),
            "Name         State\na-long-name  up\nb            down\n"
        );
    }

    #[test]
    fn dates_and_spans() {
        assert_eq!(utc(0.0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_796_560_516.0), "2026-12-06 12:35:16");
        assert_eq!(utc(951_782_400.0), "2000-02-29 00:00:00");
        assert_eq!(span(3723.0), "01:02:03");
        assert_eq!(span(90_061.0), "1d01:01:01");
    }

    #[test]
    fn a_route_shows_its_attributes() {
        let status = serde_json::json!({"peers": [{"name": "r4", "address": "10.0.0.1",
            "state": "Established", "routes": [{"prefix": "192.0.2.1/32", "next_hop": "10.0.0.2",
            "as_path": [65001, 65001], "med": 500, "local_pref": null,
            "communities": ["65535:0"], "large_communities": []}]}]});
        let text = routes(&status, Some("r4")).expect("r4");
        assert!(
            text.contains("192.0.2.1/32  10.0.0.2  65001 65001  500"),
            "{text}"
        );
        assert!(text.contains("65535:0"), "{text}");
        assert_eq!(routes(&status, Some("nope")), None);
    }
}
