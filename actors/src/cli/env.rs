//! The environment variables the binary reads: one table, rendered into `--help` and into the
//! man page's ENVIRONMENT section.

/// One environment variable and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable's name.
    pub name: &'static str,
    /// One line for `-h`.
    pub short: &'static str,
    /// The full text for `--help` and the man page.
    pub long: &'static str,
}

/// Every environment variable the binary reads.
pub const ENVIRONMENT: &[EnvVar] = &[
    EnvVar {
        name: "CONFIG_PATH",
        short: "configuration file when --config is absent (default /config.yaml)",
        long: "Configuration file when --config is absent; default /config.yaml. The systemd unit \
               sets /etc/anycastd/config.yaml.",
    },
    EnvVar {
        name: "LOG_LEVEL",
        short: "TRACE, DEBUG, INFO, WARN (default), WARNING, ERROR, FATAL or PANIC, any case",
        long: "TRACE, DEBUG, INFO, WARN (default), WARNING, ERROR, FATAL or PANIC, in any case. \
               Any other value is an error (exit 2).",
    },
    EnvVar {
        name: "LOG_FORMAT",
        short: "json: one JSON object per log line; anything else: plain lines",
        long: "json writes one JSON object per log line (ts, level, target, msg and the \
               key-values); anything else writes plain lines.",
    },
    EnvVar {
        name: "ANYCASTD_SOCKET",
        short: "anycastd ctl: control socket when --socket is absent",
        long: "The control socket anycastd ctl talks to when --socket is absent; default \
               /run/anycastd/control.sock (the daemon's control.socket).",
    },
    EnvVar {
        name: "JOURNAL_STREAM",
        short: "set by systemd: log lines carry a <N> priority prefix, no timestamp",
        long: "Set by systemd when standard error goes to the journal. When it names the device \
               and inode of standard error, each log line starts with its syslog priority (<3> \
               error, <4> warning, <6> info, <7> debug and trace) and carries no timestamp of \
               its own, so that journalctl -p filters by level.",
    },
    EnvVar {
        name: "NOTIFY_SOCKET",
        short: "set by systemd (Type=notify): READY, RELOADING, STOPPING, STATUS are sent there",
        long: "Set by systemd for Type=notify. The daemon sends READY=1 once its listeners are up \
               and the first checks are done, RELOADING=1 then READY=1 around each reload, \
               STOPPING=1 on SIGTERM, EXTEND_TIMEOUT_USEC while shutdown.drain_time runs, and a \
               STATUS= line when the announced routes change.",
    },
    EnvVar {
        name: "WATCHDOG_USEC",
        short: "set by systemd (WatchdogSec=): watchdog pings while every actor answers",
        long: "Set by systemd for WatchdogSec=. The daemon sends WATCHDOG=1 at half that period, \
               only while every actor answers.",
    },
];

/// The ENVIRONMENT block of `-h` (`long: false`) or `--help` (`long: true`).
pub fn help(long: bool) -> String {
    let width = ENVIRONMENT
        .iter()
        .map(|v| v.name.len())
        .max()
        .unwrap_or_default();
    let mut out = String::from("Environment:\n");
    for var in ENVIRONMENT {
        if long {
            out.push_str(&format!("  {}\n          {}\n", var.name, var.long));
        } else {
            out.push_str(&format!("  {:<width$}  {}\n", var.name, var.short));
        }
    }
    out.push_str(
        "\nExit status: 0 ok, 1 a start failure (or a refused --diff), 2 a bad command line, \
         environment or configuration.",
    );
    out
}
