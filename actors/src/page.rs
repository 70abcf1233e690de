//! The status page (`GET /` on `metrics.address`): one server-rendered HTML page of the `/status`
//! model — drains, services with their checks, peers, the routes each peer has from us. No
//! external asset and no script: the page reloads itself every few seconds (`meta refresh`) and its
//! tables scroll sideways on a narrow screen, so it reads on a phone.

use std::fmt::Write;

use crate::ctl::render::{span, utc};
use crate::supervisor::Status;

/// How often the page reloads itself, in seconds.
pub const REFRESH_SECONDS: u32 = 5;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;padding:0.5em 1em;\
max-width:70em;color:#222;background:#fafafa}h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}\
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:0.9em}\
th,td{text-align:left;padding:0.3em 0.6em;border-bottom:1px solid #ddd;vertical-align:top}\
th,.t{white-space:nowrap}.up{color:#176a21;font-weight:bold}.degraded,.draining{color:#9a6700;\
font-weight:bold}.down{color:#b3261e;font-weight:bold}.muted{color:#777}";

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A table: titles and rows of already-escaped cells.
fn table(out: &mut String, titles: &[&str], rows: &[Vec<String>]) {
    out.push_str("<div class=\"scroll\"><table><thead><tr>");
    for title in titles {
        let _ = write!(out, "<th>{}</th>", esc(title));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

/// A state with its colour class.
fn state(label: Option<&str>) -> String {
    match label {
        Some(label) => {
            let class = match label {
                "up" | "established" | "Established" | "pass" => "up",
                "degraded" => "degraded",
                "draining" => "draining",
                _ => "down",
            };
            format!("<span class=\"{class}\">{}</span>", esc(label))
        }
        None => "<span class=\"muted\">unknown</span>".to_string(),
    }
}

fn opt(text: Option<&str>) -> String {
    text.map(esc).unwrap_or_default()
}

fn time(at: Option<f64>) -> String {
    at.map(|at| format!("<span class=\"t\">{} UTC</span>", esc(&utc(at))))
        .unwrap_or_default()
}

/// The page.
pub fn render(status: &Status) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\">\
         <title>anycastd status</title><style>{STYLE}</style></head><body>\
         <h1>anycastd {}</h1><p class=\"muted\">Configuration {} &middot; refreshed every \
         {REFRESH_SECONDS}s &middot; <a href=\"/status\">JSON</a> &middot; \
         <a href=\"/metrics\">metrics</a></p>",
        esc(status.version),
        esc(&status.config)
    );

    out.push_str("<h2>Drains</h2>");
    let drains = &status.drains;
    let mut rows = Vec::new();
    if let Some(drain) = &drains.node {
        rows.push(vec![
            "every service".to_string(),
            "operator".to_string(),
            esc(&drain.reason),
            time(Some(drain.since as f64)),
        ]);
    }
    if let Some(file) = &drains.file {
        rows.push(vec![
            "every service".to_string(),
            "file".to_string(),
            esc(&format!("{file} exists")),
            String::new(),
        ]);
    }
    for (service, drain) in &drains.services {
        rows.push(vec![
            esc(service),
            "operator".to_string(),
            esc(&drain.reason),
            time(Some(drain.since as f64)),
        ]);
    }
    for (service, check) in &drains.checks {
        rows.push(vec![
            esc(service),
            "check".to_string(),
            esc(&format!("file check {check}")),
            String::new(),
        ]);
    }
    if rows.is_empty() {
        out.push_str("<p>No drain.</p>");
    } else {
        table(&mut out, &["Drained", "By", "Reason", "Since"], &rows);
    }

    out.push_str("<h2>Services</h2>");
    let rows: Vec<Vec<String>> = status
        .services
        .iter()
        .map(|service| {
            vec![
                esc(&service.name),
                state(service.state),
                time(service.since),
                opt(service.reason.as_deref()),
            ]
        })
        .collect();
    table(&mut out, &["Service", "State", "Since", "Reason"], &rows);

    out.push_str("<h2>Checks</h2>");
    let mut rows = Vec::new();
    for service in &status.services {
        for check in &service.checks {
            rows.push(vec![
                esc(&service.name),
                esc(&check.name),
                state(check.status),
                opt(check.last),
                check
                    .duration
                    .map(|d| format!("{:.1} ms", d * 1000.0))
                    .unwrap_or_default(),
                time(check.at),
                opt(check.reason.as_deref()),
            ]);
        }
    }
    table(
        &mut out,
        &[
            "Service", "Check", "Status", "Last", "Duration", "At", "Reason",
        ],
        &rows,
    );

    out.push_str("<h2>Peers</h2>");
    let rows: Vec<Vec<String>> = status
        .peers
        .iter()
        .map(|peer| {
            vec![
                esc(&peer.name),
                opt(peer.address.as_deref()),
                state(peer.state.as_deref()),
                peer.uptime.map(span).map(|s| esc(&s)).unwrap_or_default(),
                peer.hold_time.map(|h| format!("{h}s")).unwrap_or_default(),
                peer.routes.len().to_string(),
                esc(&peer.capabilities.join(", ")),
                opt(peer.last_error.as_deref()),
            ]
        })
        .collect();
    table(&mut out, &crate::ctl::render::PEER_COLUMNS, &rows);

    out.push_str("<h2>Routes</h2>");
    let mut rows = Vec::new();
    for peer in &status.peers {
        for route in &peer.routes {
            let path: Vec<String> = route.as_path.iter().map(u32::to_string).collect();
            rows.push(vec![
                esc(&peer.name),
                esc(&route.prefix),
                opt(route.next_hop.as_deref()),
                esc(&path.join(" ")),
                route.med.map(|m| m.to_string()).unwrap_or_default(),
                esc(&route.communities.join(" ")),
                esc(&route.large_communities.join(" ")),
            ]);
        }
    }
    if rows.is_empty() {
        out.push_str("<p>No route sent.</p>");
    } else {
        table(
            &mut out,
            &[
                "Peer",
                "Prefix",
                "Next hop",
                "AS path",
                "MED",
                "Communities",
                "Large communities",
            ],
            &rows,
        );
    }

    if !status.bfd.is_empty() {
        out.push_str("<h2>BFD</h2>");
        let rows: Vec<Vec<String>> = status
            .bfd
            .iter()
            .map(|bfd| {
                vec![
                    esc(&bfd.peer),
                    esc(&bfd.remote.to_string()),
                    state(Some(bfd.state)),
                    esc(bfd.remote_state),
                    esc(bfd.diagnostic),
                ]
            })
            .collect();
        table(
            &mut out,
            &["Peer", "Address", "State", "Remote state", "Diagnostic"],
            &rows,
        );
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
