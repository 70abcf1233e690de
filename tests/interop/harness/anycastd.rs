//! Our daemon, the real `anycastd` binary, run under `ip netns exec` in the daemon namespace with a
//! generated configuration, and a real HTTP server for its `http_2xx` check.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::netns::Lab;
use super::process::Daemon;
use super::{Router, Scratch, require_binary, wait_until};

/// How long a session may take to come up after the daemon starts.
pub const SESSION_UP: Duration = Duration::from_secs(30);

/// Where the `anycastd` binary is: `$ANYCASTD_BIN`, else next to this test binary's directory
/// (`target/<profile>/anycastd`, built by `cargo build -p anycastd-actors`).
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("ANYCASTD_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    // target/<profile>/deps/interop-<hash> -> target/<profile>/anycastd
    let candidate = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("anycastd"));
    match candidate {
        Some(path) if path.is_file() => path,
        other => panic!(
            "the anycastd binary was not found at {other:?}: run `cargo build -p anycastd-actors --bin anycastd` \
             (same CARGO_TARGET_DIR) before the interop tests, or set ANYCASTD_BIN"
        ),
    }
}

/// A running anycastd.
pub struct Anycastd {
    daemon: Daemon,
    config: PathBuf,
    socket: PathBuf,
    scratch: PathBuf,
}

/// What one `anycastd ctl` run gave: exit code, stdout, stderr.
#[derive(Debug)]
pub struct CtlRun {
    /// The exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `anycastd ctl --socket SOCKET ARGS` (from the host: a path socket is reachable from any
/// network namespace).
pub fn ctl(socket: &Path, args: &[&str]) -> CtlRun {
    let out = std::process::Command::new(binary())
        .arg("ctl")
        .arg("--socket")
        .arg(socket)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run anycastd ctl: {e}"));
    CtlRun {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `yaml` with the control socket and the state file in the scratch directory unless it sets
/// them: a test daemon never touches `/run/anycastd` or `/var/lib/anycastd`.
fn with_scratch_paths(yaml: &str, scratch: &Path) -> String {
    let mut yaml = yaml.to_string();
    if !yaml.ends_with('\n') {
        yaml.push('\n');
    }
    if !yaml.lines().any(|line| line.starts_with("control:")) {
        let socket = scratch.join("control.sock");
        yaml.push_str(&format!("control:\n  socket: {}\n", socket.display()));
    }
    if !yaml.lines().any(|line| line.starts_with("lifecycle:")) {
        let state = scratch.join("state.json");
        yaml.push_str(&format!("lifecycle:\n  state_file: {}\n", state.display()));
    }
    yaml
}

impl Anycastd {
    /// Writes `yaml` to the scratch directory, validates it with `--check-config`, and starts the daemon
    /// in the daemon namespace with `LOG_LEVEL=debug`.
    pub fn start(lab: &Lab, scratch: &Scratch, yaml: &str) -> Anycastd {
        let path = scratch.file("anycastd.yaml");
        let yaml = &with_scratch_paths(yaml, scratch.path());
        let socket = match anycastd::config::load(&path, yaml) {
            Ok(config) => config.control.socket,
            Err(errors) => panic!("the generated config does not load:\n{yaml}\n{errors}"),
        };
        let binary = binary();
        std::fs::write(&path, yaml).unwrap_or_else(|e| panic!("write anycastd.yaml: {e}"));
        let (binary, path) = (binary.display().to_string(), path.display().to_string());
        let check = std::process::Command::new(&binary)
            .args(["--check-config", &path])
            .output();
        match check {
            Ok(out) if out.status.success() => {}
            Ok(out) => panic!(
                "anycastd --check-config rejected the generated config:\n{yaml}\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => panic!("cannot run {binary}: {e}"),
        }
        let mut command = Lab::exec(
            &lab.daemon,
            "env",
            &["LOG_LEVEL=debug", &binary, "--config", &path],
        );
        command.env_remove("RUST_LOG");
        Anycastd {
            daemon: Daemon::spawn("anycastd", command, &scratch.file("anycastd.log")),
            config: PathBuf::from(path),
            socket,
            scratch: scratch.path().to_path_buf(),
        }
    }

    /// The control socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Runs `anycastd ctl` against this daemon.
    pub fn ctl(&self, args: &[&str]) -> CtlRun {
        ctl(&self.socket, args)
    }

    /// Rewrites the config file with `text` without signalling (for `anycastd ctl reload`).
    pub fn rewrite(&self, text: &str) {
        std::fs::write(&self.config, with_scratch_paths(text, &self.scratch))
            .unwrap_or_else(|e| panic!("rewrite {}: {e}", self.config.display()));
    }

    /// [`Anycastd::start`], then waits until `router` shows each of `sessions` Established.
    pub fn start_established(
        lab: &Lab,
        scratch: &Scratch,
        yaml: &str,
        router: &impl Router,
        sessions: &[&str],
    ) -> Anycastd {
        let daemon = Anycastd::start(lab, scratch, yaml);
        for session in sessions {
            router.wait_established(session, SESSION_UP);
        }
        daemon
    }

    /// Rewrites the config file with `text` (valid or not) and sends SIGHUP.
    pub fn reload(&self, text: &str) {
        self.rewrite(text);
        self.signal("HUP");
    }

    /// SIGTERM; panics with the log unless the daemon exits with code 0 within 15 s.
    pub fn stop(&mut self) {
        let code = self.terminate(Duration::from_secs(15));
        assert_eq!(
            code,
            Some(0),
            "anycastd's exit on SIGTERM; its log:\n{}",
            self.log()
        );
    }

    /// Panics with the log when the daemon has exited.
    pub fn assert_running(&mut self) {
        self.daemon.assert_running();
    }

    /// SIGTERM, then wait for the exit code.
    pub fn terminate(&mut self, timeout: Duration) -> Option<i32> {
        self.daemon.signal_and_wait("TERM", timeout)
    }

    /// Sends `signal` (e.g. "HUP", "USR1") without waiting.
    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.daemon.pid().to_string())
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "kill -{signal} anycastd failed"
        );
    }

    /// SIGKILL: the daemon dies without a word to its peers.
    pub fn kill(&mut self) {
        self.daemon.kill();
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        self.daemon.log()
    }
}

/// The exit code of an `exec` check, kept in a file the check's command reads
/// (`exit $(cat FILE)`): 0 pass, 1 degraded, 2 fail.
pub struct ExecSwitch {
    path: PathBuf,
}

impl ExecSwitch {
    /// Creates the file in the scratch directory with `code`.
    pub fn new(scratch: &Scratch, code: u8) -> ExecSwitch {
        let switch = ExecSwitch {
            path: scratch.file("exit-code"),
        };
        switch.set(code);
        switch
    }

    /// The check's next run exits with `code`.
    pub fn set(&self, code: u8) {
        std::fs::write(&self.path, code.to_string())
            .unwrap_or_else(|e| panic!("write {}: {e}", self.path.display()));
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A real HTTP server (`python3 -m http.server`) inside the daemon namespace, serving an empty
/// directory (so `/` answers 200 with a listing).
pub struct HttpServer {
    daemon: Option<Daemon>,
    namespace: String,
    bind: String,
    port: u16,
    root: PathBuf,
    log: PathBuf,
}

impl HttpServer {
    /// Starts it on `bind:port` and waits until it answers.
    pub fn start(lab: &Lab, scratch: &Scratch, bind: &str, port: u16) -> HttpServer {
        require_binary("python3", "python3");
        let root = scratch.file("www");
        std::fs::create_dir_all(&root).unwrap_or_else(|e| panic!("mkdir www: {e}"));
        let mut server = HttpServer {
            daemon: None,
            namespace: lab.daemon.clone(),
            bind: bind.into(),
            port,
            root,
            log: scratch.file("http.log"),
        };
        server.resume();
        server
    }

    /// The URL of `/`.
    pub fn url(&self) -> String {
        format!("http://{}:{}/", self.bind, self.port)
    }

    /// Stops the server (connections are refused from now on).
    pub fn stop(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            daemon.kill();
        }
    }

    /// Starts it again and waits until it answers.
    pub fn resume(&mut self) {
        let port = self.port.to_string();
        let root = self.root.display().to_string();
        let command = Lab::exec(
            &self.namespace,
            "python3",
            &[
                "-m",
                "http.server",
                "--bind",
                &self.bind,
                "--directory",
                &root,
                &port,
            ],
        );
        self.daemon = Some(Daemon::spawn("http.server", command, &self.log));
        let url = self.url();
        wait_until(Duration::from_secs(10), "the test HTTP server", || {
            Lab::run(
                &self.namespace,
                "curl",
                &["-sf", "-o", "/dev/null", "-m", "1", &url],
            )
            .map(|_| ())
        });
    }
}
