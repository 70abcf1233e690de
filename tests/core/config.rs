//! The configuration loader: examples load, broken files give exactly the expected lines.

use std::path::Path;

use anycastd::config::{self, load};

#[test]
fn go_readme_original_gives_one_did_you_mean() {
    let path = Path::new("tests/data/go-readme-original.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let errors = load(path, &text).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "tests/data/go-readme-original.yaml:16:7: announcer.peers[1]: unknown key \"multihope_ttl\"; did you mean \"multihop_ttl\"?\n"
    );
    let _ = config::ConfigErrors::len(&errors);
}

#[test]
fn every_example_loads() {
    let mut seen = 0;
    for entry in std::fs::read_dir("config-examples").unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        match load(&path, &text) {
            Ok(config) => assert_eq!(config.source, path),
            Err(errors) => panic!("{} does not load:\n{errors}", path.display()),
        }
        seen += 1;
    }
    assert!(seen >= 4, "expected at least 4 examples, found {seen}");
}

#[test]
fn go_readme_yaml_and_json_are_the_same_config() {
    let yaml = Path::new("config-examples/go-readme.yaml");
    let json = Path::new("config-examples/go-readme.json");
    let mut a = load(yaml, &std::fs::read_to_string(yaml).unwrap()).unwrap();
    let b = load(json, &std::fs::read_to_string(json).unwrap()).unwrap();
    a.source = b.source.clone();
    assert_eq!(a, b);
    println!("{a:#?}");
}

/// Every file of `tests/data/bad/` fails with exactly the lines of its `.expected` file.
/// `ANYCASTD_BLESS=1` rewrites the `.expected` files from the current output (review the diff).
#[test]
fn every_bad_config_gives_exactly_the_expected_errors() {
    let bless = std::env::var_os("ANYCASTD_BLESS").is_some();
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir("tests/data/bad")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.extension().is_some_and(|e| e == "expected") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let actual = match load(&path, &text) {
            Ok(_) => "(loaded without errors)\n".to_string(),
            Err(errors) => {
                assert!(!errors.is_empty());
                assert_eq!(errors.len(), errors.iter().count());
                errors.to_string()
            }
        };
        let expected_path = path.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        if actual != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- actual\n{actual}",
                path.display()
            ));
        }
        checked += 1;
    }
    assert!(checked >= 35, "only {checked} broken configs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use anycastd::bgp::types::Prefix;
use anycastd::config::load_with_warnings;
use anycastd::config::model::{Bfd, CheckSpec, Config, Md5Key, Strategy};

/// A valid file; `{peer}`, `{service}`, `{checks}` and `{tail}` are replaced by the tests.
const BASE: &str = "announcer:
  router_id: 10.3.3.3
  local_address: 10.0.0.1
  local_asn: 65999
  routes:
    - 10.0.0.128/32
  peers:
    - name: r1
      remote_address: 10.0.0.252
      remote_asn: 65000
{peer}services:
  - name: web
    check_interval: 10s
{service}    checks:
{checks}metrics:
  enabled: true
  address: 127.0.0.1:9090
{tail}";

const HTTP: &str = "      - kind: http_2xx
        spec: {url: \"http://127.0.0.1/\", method: GET, tries: 3, interval: 100ms, timeout: 2s}
";

fn text(peer: &str, service: &str, checks: &str, tail: &str) -> String {
    BASE.replace("{peer}", peer)
        .replace("{service}", service)
        .replace("{checks}", if checks.is_empty() { HTTP } else { checks })
        .replace("{tail}", tail)
}

fn ok(text: &str) -> Config {
    match load(Path::new("t.yaml"), text) {
        Ok(config) => config,
        Err(errors) => panic!("expected the config to load:\n{errors}"),
    }
}

fn errors(text: &str) -> String {
    match load(Path::new("t.yaml"), text) {
        Ok(config) => panic!("expected errors, got {config:#?}"),
        Err(errors) => errors.to_string(),
    }
}

fn interval_of(value: &str) -> Result<Duration, String> {
    let service = "";
    let t = text("", service, "", "")
        .replace("check_interval: 10s", &format!("check_interval: {value}"));
    load(Path::new("t.yaml"), &t)
        .map(|c| c.services[0].check_interval)
        .map_err(|e| e.to_string())
}

#[test]
fn defaults_are_filled_in() {
    let config = ok(&text("", "", "", ""));
    let peer = &config.announcer.peers[0];
    assert_eq!(peer.remote_port, 179);
    assert_eq!(peer.hold_time.seconds(), 90);
    assert_eq!(peer.connect_retry, Duration::from_secs(5));
    assert_eq!(peer.multihop_ttl, None);
    assert!(
        !peer.passive && !peer.ttl_security && peer.md5.is_none() && peer.local_address.is_none()
    );
    assert!(!config.announcer.graceful_restart.enabled);
    assert_eq!(
        config.announcer.graceful_restart.restart_time,
        Duration::from_secs(120)
    );
    assert_eq!(config.shutdown.drain_time, Duration::ZERO);
    let service = &config.services[0];
    assert_eq!(service.strategy, Strategy::AtLeastOne);
    assert_eq!(service.routes, None);
    let check = &service.checks[0];
    assert_eq!(check.name, "http_2xx");
    assert_eq!(check.group, "");
    assert_eq!((check.rise, check.fall), (1, 1));
    assert!(check.splay);
    assert_eq!(check.interval, Duration::from_secs(10));
    // 3 tries of 2 s with 100 ms between them, under the 10 s interval.
    assert_eq!(check.deadline, check.spec.default_deadline(check.interval));
    assert_eq!(check.deadline, Duration::from_millis(6200));
    let CheckSpec::Http2xx(spec) = &check.spec else {
        panic!("not http_2xx")
    };
    assert_eq!(spec.expected_status, vec![(200, 299)]);
    assert!(!spec.insecure);
}

#[test]
fn go_durations_parse_like_go() {
    assert_eq!(interval_of("300ms"), Ok(Duration::from_millis(300)));
    assert_eq!(interval_of("1m30s"), Ok(Duration::from_secs(90)));
    assert_eq!(interval_of("1.5h"), Ok(Duration::from_secs(5400)));
    assert_eq!(
        interval_of("2h45m0.5s"),
        Ok(Duration::from_millis(9_900_500))
    );
    assert_eq!(interval_of("1500us"), Ok(Duration::from_micros(1500)));
    assert_eq!(interval_of("1500µs"), Ok(Duration::from_micros(1500)));
    assert_eq!(interval_of("1ms"), Ok(Duration::from_millis(1)));
    assert_eq!(interval_of(".5s"), Ok(Duration::from_millis(500)));
    assert_eq!(interval_of("+1s"), Ok(Duration::from_secs(1)));
    let bare = interval_of("10").unwrap_err();
    assert!(
        bare.contains("found an integer; durations need a unit, e.g. write \"10s\""),
        "{bare}"
    );
    assert!(interval_of("1.5").unwrap_err().contains("found a number"));
    assert!(
        interval_of("-5s")
            .unwrap_err()
            .contains("duration must be positive, found \"-5s\"")
    );
    assert!(
        interval_of("0s")
            .unwrap_err()
            .contains("duration must be positive, found zero")
    );
    assert!(interval_of("5").unwrap_err().contains("write \"5s\""));
    assert!(interval_of("s").unwrap_err().contains("invalid duration"));
    assert!(
        interval_of("1d")
            .unwrap_err()
            .contains("unknown unit \"d\"")
    );
    assert!(interval_of("\"10\"").unwrap_err().contains("missing unit"));
    assert!(interval_of("3000000h").unwrap_err().contains("too large"));
    assert!(
        interval_of("true")
            .unwrap_err()
            .contains("expected a duration string")
    );
}

#[test]
fn every_duration_has_a_range_with_inclusive_ends() {
    assert_eq!(interval_of("1ms"), Ok(Duration::from_millis(1)));
    assert_eq!(interval_of("24h"), Ok(Duration::from_secs(24 * 3600)));
    assert_eq!(
        interval_of("999us").unwrap_err(),
        "t.yaml:13:21: services[0].check_interval: \"999us\" is out of range 1ms..=24h\n"
    );
    assert!(
        interval_of("24h0m0.001s")
            .unwrap_err()
            .contains("is out of range 1ms..=24h")
    );
    let drain = |value: &str| {
        let tail = format!("shutdown:\n  drain_time: {value}\n");
        load(Path::new("t.yaml"), &text("", "", "", &tail))
            .map(|c| c.shutdown.drain_time)
            .map_err(|e| e.to_string())
    };
    assert_eq!(drain("0s"), Ok(Duration::ZERO));
    assert_eq!(drain("1h"), Ok(Duration::from_secs(3600)));
    assert_eq!(
        drain("2562047h").unwrap_err(),
        "t.yaml:21:15: shutdown.drain_time: \"2562047h\" is out of range 0s..=1h\n"
    );
    let check = |keys: &str| {
        let checks = format!(
            "      - kind: tcp_connect\n{keys}        spec: {{address: \"127.0.0.1:22\", timeout: 1h}}\n"
        );
        load(Path::new("t.yaml"), &text("", "", &checks, "")).map_err(|e| e.to_string())
    };
    assert!(check("        timeout: 1h\n").is_ok());
    assert!(
        check("        timeout: 0s\n")
            .unwrap_err()
            .contains("services[0].checks[0].timeout: duration must be positive, found zero")
    );
    assert!(
        check("        interval: 1ns\n")
            .unwrap_err()
            .contains("services[0].checks[0].interval: \"1ns\" is out of range 1ms..=24h")
    );
}

#[test]
fn a_byte_order_mark_is_accepted_and_a_nul_byte_is_an_error_at_its_position() {
    for name in ["tests/data/bom.yaml", "tests/data/bom.json"] {
        let path = Path::new(name);
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            text.starts_with('\u{feff}'),
            "{name} lost its byte order mark"
        );
        if let Err(errors) = load(path, &text) {
            panic!("{name} does not load:\n{errors}");
        }
    }
    let yaml = text("", "", "", "").replace("metrics:", "  \0metrics:");
    assert_eq!(
        errors(&yaml),
        "t.yaml:17:3: a NUL byte is not allowed in a configuration file (is it a text file?)\n"
    );
    let json = "{\n  \"announcer\": \0{}\n}\n";
    let errors = load(Path::new("t.json"), json).unwrap_err().to_string();
    assert_eq!(
        errors,
        "t.json:2:16: a NUL byte is not allowed in a configuration file (is it a text file?)\n"
    );
}

#[test]
fn multihop_ttl_follows_the_go_daemon() {
    let with = |lines: &str| ok(&text(lines, "", "", "")).announcer.peers[1].multihop_ttl;
    let peer = |extra: &str| {
        format!(
            "    - name: r2\n      remote_address: 10.0.0.253\n      remote_asn: 65000\n{extra}"
        )
    };
    assert_eq!(with(&peer("      enable_multihop: true\n")), Some(255));
    assert_eq!(
        with(&peer(
            "      enable_multihop: true\n      multihop_ttl: 3\n"
        )),
        Some(3)
    );
    assert_eq!(
        with(&peer(
            "      enable_multihop: false\n      multihop_ttl: 3\n"
        )),
        None
    );
    assert_eq!(
        with(&peer(
            "      enable_multihop: true\n      multihop_ttl: 0\n"
        )),
        Some(255)
    );
    let (_, warnings) = load_with_warnings(
        Path::new("t.yaml"),
        &text(&peer("      multihop_ttl: 3\n"), "", "", ""),
    )
    .unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        warnings[0].to_string(),
        "t.yaml:14:21: announcer.peers[1].multihop_ttl: ignored: enable_multihop is not true"
    );
    let e = errors(&text(
        &peer("      enable_multihop: true\n      multihop_ttl: -1\n"),
        "",
        "",
        "",
    ));
    assert_eq!(
        e,
        "t.yaml:15:21: announcer.peers[1].multihop_ttl: -1 is out of range 1..=255\n"
    );
}

#[test]
fn route_with_host_bits_is_masked_with_a_warning() {
    let t = text("", "", "", "").replace("10.0.0.128/32", "10.0.0.1/24");
    let (config, warnings) = load_with_warnings(Path::new("t.yaml"), &t).unwrap();
    assert_eq!(
        config.announcer.routes,
        vec!["10.0.0.0/24".parse::<Prefix>().unwrap()]
    );
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        warnings[0].to_string(),
        "t.yaml:6:7: announcer.routes[0]: 10.0.0.1/24 has host bits set; announcing 10.0.0.0/24"
    );
    assert!(
        errors(&t.replace("10.0.0.1/24", "10.0.0.0/24\n    - 10.0.0.0/24"))
            .contains("route 10.0.0.0/24 is defined twice (first at line 6)")
    );
}

#[test]
fn ipv6_is_accepted_everywhere_an_address_is() {
    let peer = "    - name: r6\n      remote_address: \"2001:db8::1\"\n      remote_asn: 65000\n      local_address: 2001:db8::10\n";
    let t = text(peer, "", "", "")
        .replace("10.0.0.128/32", "2001:db8:100::/48")
        .replace("127.0.0.1:9090", "\"[::1]:9090\"");
    let config = ok(&t);
    assert_eq!(
        config.announcer.peers[1].remote_address,
        "2001:db8::1".parse::<IpAddr>().unwrap()
    );
    assert_eq!(config.announcer.routes[0].to_string(), "2001:db8:100::/48");
    assert_eq!(config.metrics.address, Some("[::1]:9090".parse().unwrap()));
    let mixed = text(
        "    - name: r6\n      remote_address: 2001:db8::1\n      remote_asn: 65000\n      local_address: 10.0.0.1\n",
        "",
        "",
        "",
    );
    assert!(errors(&mixed).contains("announcer.peers[1].local_address: 10.0.0.1 and remote_address 2001:db8::1 are of different address families"));
}

#[test]
fn announcer_routes_may_be_empty_only_when_every_service_has_its_own() {
    let no_global =
        |service: &str| text("", service, "", "").replace("  routes:\n    - 10.0.0.128/32\n", "");
    let config = ok(&no_global("    routes: [192.0.2.1/32]\n"));
    assert!(config.announcer.routes.is_empty());
    assert_eq!(
        config.services[0].prefixes(&config.announcer)[0].to_string(),
        "192.0.2.1/32"
    );
    assert_eq!(
        errors(&no_global("")),
        "t.yaml:2:3: announcer.routes: must not be empty: service \"web\" has no routes of its own\n"
    );
    assert!(
        errors(&text("", "    routes: []\n", "", ""))
            .contains("services[0].routes: must not be empty; omit it to use announcer.routes")
    );
}

#[test]
fn metrics_can_be_disabled_without_an_address() {
    let t = text("", "", "", "").replace(
        "  enabled: true\n  address: 127.0.0.1:9090\n",
        "  enabled: false\n",
    );
    let config = ok(&t);
    assert!(!config.metrics.enabled);
    assert_eq!(config.metrics.address, None);
    let t = text("", "", "", "").replace("  address: 127.0.0.1:9090\n", "");
    assert_eq!(
        errors(&t),
        "t.yaml:18:3: metrics: missing required key \"address\"\n"
    );
    let any = ok(&text("", "", "", "").replace("127.0.0.1:9090", "\":9090\""));
    assert_eq!(
        any.metrics.address,
        Some((Ipv4Addr::UNSPECIFIED, 9090).into())
    );
}

#[test]
fn strategies_and_their_options() {
    let strategy = |lines: &str| ok(&text("", lines, "", "")).services[0].strategy;
    assert_eq!(strategy("    strategy: all\n"), Strategy::All);
    assert_eq!(
        strategy("    strategy: all_in_group\n"),
        Strategy::AllInGroup
    );
    assert_eq!(strategy("    strategy: \"\"\n"), Strategy::AtLeastOne);
    assert_eq!(
        strategy("    strategy: at_least_n_percentage\n    strategy_options: {n: 0.5}\n"),
        Strategy::AtLeastNPercentage(0.5)
    );
    assert_eq!(
        strategy("    strategy: at_least_n_percentage\n    strategy_options: {n: 1}\n"),
        Strategy::AtLeastNPercentage(1.0)
    );
    let e = errors(&text(
        "",
        "    strategy: at_least_n_percentage\n    strategy_options: {n: -0.1, m: 1}\n",
        "",
        "",
    ));
    assert!(
        e.contains("services[0].strategy_options: unknown key \"m\"; did you mean \"n\"?"),
        "{e}"
    );
    let e = errors(&text(
        "",
        "    strategy: at_least_n_percentage\n    strategy_options: {n: -0.1}\n",
        "",
        "",
    ));
    assert!(
        e.contains("services[0].strategy_options.n: -0.1 is out of range [0, 1]"),
        "{e}"
    );
    let e = errors(&text(
        "",
        "    strategy: at_least_n_percentage\n    strategy_options: {n: \"0.5\"}\n",
        "",
        "",
    ));
    assert!(
        e.contains("expected a number, found a string; write 0.5 without quotes"),
        "{e}"
    );
    let (_, warnings) = load_with_warnings(
        Path::new("t.yaml"),
        &text(
            "",
            "    strategy: all\n    strategy_options: {n: 0.5}\n",
            "",
            "",
        ),
    )
    .unwrap();
    assert!(
        warnings[0]
            .message
            .contains("only at_least_n_percentage uses strategy_options")
    );
}

#[test]
fn check_names_default_to_the_kind_and_are_numbered_when_repeated() {
    let checks = format!(
        "{HTTP}{HTTP}      - kind: tcp_connect\n        spec: {{address: \"127.0.0.1:80\"}}\n{HTTP}"
    );
    let config = ok(&text("", "", &checks, ""));
    let names: Vec<&str> = config.services[0]
        .checks
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["http_2xx-1", "http_2xx-2", "tcp_connect", "http_2xx-3"]
    );
    let named = format!(
        "      - kind: tcp_connect\n        name: http_2xx-1\n        spec: {{address: \"127.0.0.1:80\"}}\n{HTTP}{HTTP}"
    );
    let e = errors(&text("", "", &named, ""));
    assert_eq!(
        e,
        "t.yaml:18:9: services[0].checks[1]: check name \"http_2xx-1\" is defined twice (first at line 16)\n"
    );
}

#[test]
fn check_level_extensions() {
    let checks = "      - kind: exec
        name: plugin
        group: g
        interval: 2s
        timeout: 1500ms
        rise: 3
        fall: 2
        spec: {command: [/bin/true], env: {A: b}}
      - kind: file
        spec: {path: /run/drain, present_means: drain}
";
    let config = ok(&text("", "", checks, ""));
    let check = &config.services[0].checks[0];
    assert_eq!((check.name.as_str(), check.group.as_str()), ("plugin", "g"));
    assert_eq!(
        (check.interval, check.deadline),
        (Duration::from_secs(2), Duration::from_millis(1500))
    );
    assert_eq!((check.rise, check.fall), (3, 2));
    let CheckSpec::Exec(spec) = &check.spec else {
        panic!("not exec")
    };
    assert_eq!(spec.timeout, Duration::from_secs(5));
    // A file check has no natural duration: one second.
    assert_eq!(
        config.services[0].checks[1].deadline,
        Duration::from_secs(1)
    );
}

#[test]
fn peer_extensions() {
    let peer = "    - name: r2
      remote_address: 10.0.0.253
      remote_asn: 4200000000
      remote_port: 1179
      local_address: 10.0.0.1
      passive: true
      hold_time: 0
      connect_retry: 1s
      md5_password_file: /etc/key
      ttl_security: true
";
    let config = ok(&text(peer, "", "", ""));
    let p = &config.announcer.peers[1];
    assert_eq!(p.remote_asn.get(), 4_200_000_000);
    assert_eq!(p.remote_port, 1179);
    assert_eq!(
        p.local_address,
        Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)))
    );
    assert!(p.passive && p.ttl_security);
    assert_eq!(p.hold_time.seconds(), 0);
    assert_eq!(p.connect_retry, Duration::from_secs(1));
    assert_eq!(p.md5, Some(Md5Key::File("/etc/key".into())));
    let e = errors(&text(
        &peer.replace("hold_time: 0", "hold_time: 90s"),
        "",
        "",
        "",
    ));
    assert!(e.contains("hold_time: expected an integer number of seconds, found a string; write the seconds without a unit, e.g. 90"), "{e}");
    let e = errors(&text(
        &peer.replace("remote_port: 1179", "remote_port: 0"),
        "",
        "",
        "",
    ));
    assert!(
        e.contains("remote_port: 0 is out of range 1..=65535"),
        "{e}"
    );
    let config = ok(&text(
        "    - name: r2\n      remote_address: 10.0.0.253\n      remote_asn: 65000\n      md5_password: abc\n",
        "",
        "",
        "",
    ));
    assert_eq!(
        config.announcer.peers[1].md5,
        Some(Md5Key::Inline("abc".into()))
    );
    assert_eq!(
        format!("{:?}", config.announcer.peers[1].md5),
        "Some(Inline(<redacted>))"
    );
}

#[test]
fn json_errors_have_positions() {
    let path = Path::new("t.json");
    let e = load(path, "{\n  \"announcer\": {\n    \"router_id\": 10\n  }\n}")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("t.json:1:1: missing required key \"services\"\n"),
        "{e}"
    );
    assert!(
        e.contains("t.json:2:16: announcer: missing required key \"local_address\"\n"),
        "{e}"
    );
    assert!(
        e.contains("t.json:3:18: announcer.router_id: expected a string, found an integer"),
        "{e}"
    );
    assert_eq!(
        load(path, "{\"a\": tru}").unwrap_err().to_string(),
        "t.json:1:10: invalid JSON: expected \"true\", found '}'\n"
    );
    assert_eq!(
        load(path, "{} x").unwrap_err().to_string(),
        "t.json:1:4: invalid JSON: expected the end of the file, found 'x'\n"
    );
    assert_eq!(
        load(Path::new("t.JSON"), "[").unwrap_err().to_string(),
        "t.JSON:1:2: invalid JSON: expected a value, found the end of the file\n"
    );
    assert_eq!(
        load(Path::new("t"), "").unwrap_err().to_string(),
        "t: the file name has no extension (use .yaml, .yml or .json)\n"
    );
}

#[test]
fn errors_are_structured_and_in_file_order() {
    let t = text("", "", "", "")
        .replace("local_asn: 65999", "local_asn: 0")
        .replace("check_interval: 10s", "check_interval: 10");
    let errors = load(Path::new("t.yaml"), &t).unwrap_err();
    assert_eq!(errors.len(), 2);
    let fields: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(
        fields,
        [
            (4, "announcer.local_asn"),
            (13, "services[0].check_interval")
        ]
    );
    assert!(matches!(
        errors.0[1].kind,
        anycastd::config::ConfigErrorKind::WrongType { .. }
    ));
    assert_eq!(
        errors.0[0].kind,
        anycastd::config::ConfigErrorKind::ReservedAsn
    );
    let t = text("", "", "", "").replace("check_interval: 10s", "check_interval: 1ns");
    let errors = load(Path::new("t.yaml"), &t).unwrap_err();
    assert_eq!(
        errors.0[0].kind,
        anycastd::config::ConfigErrorKind::OutOfRange {
            value: "\"1ns\"".to_string(),
            range: "1ms..=24h".to_string()
        }
    );
}

#[test]
fn yaml_merge_keys_and_deep_nesting_are_rejected() {
    let merge = "base: &b {enabled: true}\nmetrics:\n  <<: *b\n";
    assert!(errors(merge).contains("not supported"));
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let e = errors(&deep);
    assert!(
        e.contains("recursion limit exceeded") || e.contains("nesting is too deep"),
        "{e}"
    );
    let deep_json = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(
        load(Path::new("t.json"), &deep_json)
            .unwrap_err()
            .to_string()
            .contains("nesting is too deep")
    );
}

mod never_panics {
    use std::path::Path;

    use anycastd::config::load;
    use proptest::prelude::*;

    fn readme() -> String {
        std::fs::read_to_string("config-examples/full.yaml").unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
        ))]

        #[test]
        fn on_mutated_yaml(cuts in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..8, "[ -~\\t\\n:\\[\\]{}&*!|>'\"#-]{0,6}"), 1..6)) {
            let mut text = readme();
            for (at, len, insert) in cuts {
                let mut start = at.index(text.len() + 1);
                while !text.is_char_boundary(start) { start -= 1; }
                let mut end = (start + len).min(text.len());
                while !text.is_char_boundary(end) { end -= 1; }
                text.replace_range(start..end.max(start), &insert);
            }
            let _ = load(Path::new("t.yaml"), &text);
            let _ = load(Path::new("t.json"), &text);
        }

        #[test]
        fn on_random_text(text in "\\PC{0,200}") {
            let _ = load(Path::new("t.yaml"), &text);
            let _ = load(Path::new("t.json"), &text);
        }

        #[test]
        fn on_mutated_json(at in any::<prop::sample::Index>(), insert in "[ -~]{0,4}") {
            let mut text = std::fs::read_to_string("config-examples/go-readme.json").unwrap();
            let mut start = at.index(text.len() + 1);
            while !text.is_char_boundary(start) { start -= 1; }
            text.insert_str(start, &insert);
            let _ = load(Path::new("t.json"), &text);
        }
    }
}

#[test]
fn splay_gives_each_check_a_stable_phase_spread_over_the_interval() {
    let config = ok(&text("", "", "", ""));
    let mut check = config.services[0].checks[0].clone();
    check.interval = Duration::from_secs(1);
    // Stable: the same names give the same phase; within (0, interval].
    assert_eq!(check.phase("dns"), check.phase("dns"));
    let phases: Vec<Duration> = (0..1000).map(|i| check.phase(&format!("s{i}"))).collect();
    assert!(phases.iter().all(|p| !p.is_zero() && *p <= check.interval));
    // Spread: every tenth of the interval holds a fair share of 1,000 checks.
    let mut buckets = [0u32; 10];
    for phase in &phases {
        let tenth = (phase.as_nanos() * 10 / check.interval.as_nanos()).min(9);
        buckets[usize::try_from(tenth).unwrap()] += 1;
    }
    assert!(
        buckets.iter().all(|&n| (60..=140).contains(&n)),
        "{buckets:?}"
    );
    // The check's own name counts too.
    let mut other = check.clone();
    other.name = "other".into();
    assert_ne!(check.phase("dns"), other.phase("dns"));
    // The first run: at the same point of the window as the phase is of the interval.
    let second = Duration::from_secs(1);
    assert_eq!(check.first_run("dns", second), check.phase("dns"));
    check.interval = Duration::from_secs(10);
    let (phase, first) = (check.phase("dns"), check.first_run("dns", second));
    assert!(first <= second && !first.is_zero(), "{first:?}");
    assert!(
        phase.as_nanos().abs_diff(first.as_nanos() * 10) < 10,
        "{phase:?} {first:?}"
    );
    let firsts: Vec<Duration> = (0..1000)
        .map(|i| check.first_run(&format!("s{i}"), second))
        .collect();
    assert!(firsts.iter().all(|f| *f <= second));
    assert!(firsts.iter().filter(|f| **f < second / 2).count() > 400);
    assert!(check.first_run("dns", Duration::from_millis(3)) <= Duration::from_millis(3));
    // The window: a millisecond per check of the configuration, at most a second.
    assert_eq!(config.first_run_window(), Duration::from_millis(1));
    let mut many = config.clone();
    many.services = vec![config.services[0].clone(); 400];
    assert_eq!(many.first_run_window(), Duration::from_millis(400));
    many.services = vec![config.services[0].clone(); 4000];
    assert_eq!(many.first_run_window(), second);
    // `splay: false`: the first run at once, then one run per interval.
    check.splay = false;
    assert_eq!(check.phase("dns"), check.interval);
    assert_eq!(check.first_run("dns", second), Duration::ZERO);
    let checks = HTTP.replace("kind: http_2xx", "kind: http_2xx\n        splay: false");
    let off = ok(&text("", "", &checks, ""));
    assert!(!off.services[0].checks[0].splay);
}

#[test]
fn bfd_per_peer_and_as_the_announcer_default() {
    let peers = "    - name: r2
      remote_address: 10.0.0.253
      remote_asn: 65000
      bfd: {min_tx_interval: 100ms, min_rx_interval: 50ms, multiplier: 5}
    - name: r3
      remote_address: 10.0.0.254
      remote_asn: 65000
      bfd: false
";
    let config = ok(&text(peers, "", "", ""));
    let bfd: Vec<_> = config.announcer.peers.iter().map(|p| p.bfd).collect();
    let custom = Bfd {
        min_tx: Duration::from_millis(100),
        min_rx: Duration::from_millis(50),
        multiplier: 5,
    };
    assert_eq!(bfd, [None, Some(custom), None], "no BFD unless asked for");

    let with_default = text(peers, "", "", "").replace("  peers:\n", "  bfd: true\n  peers:\n");
    let config = ok(&with_default);
    let bfd: Vec<_> = config.announcer.peers.iter().map(|p| p.bfd).collect();
    assert_eq!(
        bfd,
        [Some(Bfd::default()), Some(custom), None],
        "announcer.bfd is the default of peers without their own key"
    );
    assert_eq!(Bfd::default().min_tx, Duration::from_millis(300));
    assert_eq!(Bfd::default().multiplier, 3);

    let bad = "    - name: r2
      remote_address: 10.0.0.253
      remote_asn: 65000
      bfd: {min_tx_interval: 5ms, min_rx_interval: 61s, multiplier: 0, detect: 3}
";
    let e = errors(&text(bad, "", "", ""));
    for expected in [
        "announcer.peers[1].bfd.min_tx_interval: \"5ms\" is out of range 10ms..=1m",
        "announcer.peers[1].bfd.min_rx_interval: \"61s\" is out of range 10ms..=1m",
        "announcer.peers[1].bfd.multiplier: 0 is out of range 1..=255",
        "announcer.peers[1].bfd: unknown key \"detect\"",
    ] {
        assert!(e.contains(expected), "{expected} in\n{e}");
    }
    let e = errors(&text(peers, "", "", "").replace("bfd: false", "bfd: 3"));
    assert!(
        e.contains("announcer.peers[2].bfd: expected true, false or a mapping"),
        "{e}"
    );
}

#[test]
fn send_hold_time_per_peer_and_as_the_announcer_default() {
    let peers = "    - name: r2
      remote_address: 10.0.0.253
      remote_asn: 65000
      send_hold_time: 30s
    - name: r3
      remote_address: 10.0.0.254
      remote_asn: 65000
      send_hold_time: 0s
";
    let config = ok(&text(peers, "", "", ""));
    let send_hold: Vec<_> = config
        .announcer
        .peers
        .iter()
        .map(|p| p.send_hold_time)
        .collect();
    let s = Duration::from_secs;
    assert_eq!(
        send_hold,
        [None, Some(s(30)), Some(Duration::ZERO)],
        "twice the hold time unless set; 0 is off"
    );
    let with_default =
        text(peers, "", "", "").replace("  peers:\n", "  send_hold_time: 10m\n  peers:\n");
    let send_hold: Vec<_> = ok(&with_default)
        .announcer
        .peers
        .iter()
        .map(|p| p.send_hold_time)
        .collect();
    assert_eq!(send_hold, [Some(s(600)), Some(s(30)), Some(Duration::ZERO)]);

    for (value, expected) in [
        ("500ms", "\"500ms\" is out of range 0 (off) or 1s..=1h"),
        ("2h", "\"2h\" is out of range 0s..=1h"),
        ("-1s", "must not be negative"),
        ("30", "duration"),
    ] {
        let e = errors(
            &text(peers, "", "", "")
                .replace("send_hold_time: 30s", &format!("send_hold_time: {value}")),
        );
        assert!(
            e.contains("announcer.peers[1].send_hold_time: ") && e.contains(expected),
            "{value}: {expected} in\n{e}"
        );
    }
}
