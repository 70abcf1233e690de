//! `tftp_rrq` against a real tftpd-hpa (`in.tftpd`, Debian package `tftpd-hpa`) on loopback.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;

use anycastd::config::model::{CheckSpec, Retry, TftpRrqSpec};
use anycastd::health::Outcome;
use anycastd_actors::probe;
use common::Server;
use sha2::{Digest, Sha256};

const IP: &str = "127.0.0.1";

struct Tftpd {
    _server: Server,
    dir: tempfile::TempDir,
    port: u16,
}

fn tftpd() -> Tftpd {
    let dir = tempfile::tempdir().expect("tempdir");
    // tftpd chroots here and drops to the `tftp` user, which must be able to read it.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let port = common::free_udp_port(IP);
    let mut command = Command::new("/usr/sbin/in.tftpd");
    command
        .arg("-L")
        .arg("-a")
        .arg(format!("{IP}:{port}"))
        .arg("-s")
        .arg(dir.path());
    let mut server = Server::start("/usr/sbin/in.tftpd", "tftpd-hpa", command, "in.tftpd");
    common::wait_until("in.tftpd to bind", Duration::from_secs(10), || {
        std::net::UdpSocket::bind((IP, port)).is_err()
    });
    server.assert_running();
    Tftpd {
        _server: server,
        dir,
        port,
    }
}

impl Tftpd {
    fn put(&self, name: &str, content: &[u8]) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).expect("write file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        Sha256::digest(content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn spec(&self, file: &str, sha: Option<String>, min_size: Option<u64>) -> TftpRrqSpec {
        TftpRrqSpec {
            host: IP.to_owned(),
            port: self.port,
            file: file.to_owned(),
            expected_sha256: sha,
            min_size,
            retry: Retry {
                tries: 1,
                interval: Duration::from_millis(50),
                timeout: Duration::from_secs(3),
            },
        }
    }
}

async fn run(spec: TftpRrqSpec) -> Outcome {
    let (_registry, cx) = common::context("tftp");
    probe::run(&CheckSpec::TftpRrq(spec), &cx).await
}

#[tokio::test]
async fn files_of_every_block_shape_pass_with_their_checksum() {
    let server = tftpd();
    for (name, size) in [
        ("empty.bin", 0usize),
        ("small.txt", 16),
        ("two-blocks.bin", 1024),
        ("big.bin", 70_000),
    ] {
        let content: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let sha = server.put(name, &content).to_ascii_uppercase();
        let outcome = run(server.spec(name, Some(sha), Some(size as u64))).await;
        assert_eq!(outcome, Outcome::Pass, "{name}");
    }
}

#[tokio::test]
async fn wrong_checksum_small_file_and_missing_file_fail() {
    let server = tftpd();
    let sha = server.put("boot.img", b"hello from tftp\n");
    let wrong = "0".repeat(64);
    match run(server.spec("boot.img", Some(wrong), None)).await {
        Outcome::Fail(reason) => assert!(reason.contains(&format!("actual `{sha}`")), "{reason}"),
        other => panic!("expected Fail, got {other:?}"),
    }
    match run(server.spec("boot.img", None, Some(1000))).await {
        Outcome::Fail(reason) => assert!(
            reason.contains("16 bytes, expected at least 1000"),
            "{reason}"
        ),
        other => panic!("expected Fail, got {other:?}"),
    }
    match run(server.spec("absent.img", None, None)).await {
        Outcome::Fail(reason) => assert!(reason.contains("TFTP error 1"), "{reason}"),
        other => panic!("expected Fail, got {other:?}"),
    }
}

#[tokio::test]
async fn a_silent_server_times_out_each_try() {
    let hole = common::UdpServer::silent(IP);
    let spec = TftpRrqSpec {
        host: IP.to_owned(),
        port: hole.addr.port(),
        file: "boot.img".to_owned(),
        expected_sha256: None,
        min_size: None,
        retry: Retry {
            tries: 2,
            interval: Duration::from_millis(50),
            timeout: Duration::from_millis(300),
        },
    };
    assert_eq!(
        run(spec.clone()).await,
        Outcome::Fail("2 tries failed; last error: timed out after 300ms".to_owned())
    );
    let (_registry, cx) = common::context("tftp");
    let cut = tokio::time::timeout(
        Duration::from_millis(100),
        probe::run(&CheckSpec::TftpRrq(spec), &cx),
    )
    .await;
    assert!(cut.is_err());
}
