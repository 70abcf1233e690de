//! The configuration's JSON Schema (draft 2020-12), for editors that validate and complete files.
//!
//! One table per mapping of the configuration, written the way [`validate`](super) reads it: the same
//! keys, the same required keys, the same types and ranges. `anycastd --print-config-schema` prints
//! [`json_schema`]; `packaging/anycastd.schema.json` is its output, and a test keeps both in step and
//! checks that every key of `config-examples/full.yaml` (which holds every key the loader accepts) has
//! an entry here and that every entry here appears there. The loader stays the authority: the schema
//! cannot say everything it checks (unique peer names, a prefix owned by a service...).
//!
//! Pure: builds a [`serde_json::Value`], no I/O.

use serde_json::{Map, Value, json};

/// The `$id` of the schema.
pub const SCHEMA_ID: &str = "https://github.com/anycastd/anycastd/packaging/anycastd.schema.json";

/// A Go-style duration such as `100ms` or `1m30s` (never a bare number).
const DURATION_PATTERN: &str = r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))*$";

/// One key of a mapping: name, whether the loader requires it, and its schema.
struct Key {
    name: &'static str,
    required: bool,
    schema: Value,
}

fn req(name: &'static str, schema: Value) -> Key {
    Key {
        name,
        required: true,
        schema,
    }
}

fn opt(name: &'static str, schema: Value) -> Key {
    Key {
        name,
        required: false,
        schema,
    }
}

/// A closed mapping: unknown keys are errors, as in the loader.
fn object(description: &str, keys: Vec<Key>) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for key in keys {
        if key.required {
            required.push(Value::from(key.name));
        }
        properties.insert(key.name.to_string(), key.schema);
    }
    let mut out = Map::new();
    out.insert("type".into(), "object".into());
    out.insert("description".into(), description.into());
    out.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    out.insert("additionalProperties".into(), false.into());
    Value::Object(out)
}

fn string(description: &str) -> Value {
    json!({"type": "string", "minLength": 1, "description": description})
}

fn boolean(description: &str) -> Value {
    json!({"type": "boolean", "description": description})
}

fn integer(description: &str, minimum: u64, maximum: u64) -> Value {
    json!({"type": "integer", "minimum": minimum, "maximum": maximum, "description": description})
}

fn duration(description: &str) -> Value {
    json!({"type": "string", "pattern": DURATION_PATTERN, "description": description})
}

fn ipv4(description: &str) -> Value {
    json!({"type": "string", "format": "ipv4", "description": description})
}

fn ipv6(description: &str) -> Value {
    json!({"type": "string", "format": "ipv6", "description": description})
}

fn ip(description: &str) -> Value {
    json!({"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}], "description": description})
}

fn strings(description: &str) -> Value {
    json!({"type": "array", "items": {"type": "string", "minLength": 1}, "description": description})
}

fn prefixes(description: &str) -> Value {
    json!({"type": "array", "items": {"type": "string", "pattern": r"^[0-9A-Fa-f:.]+/[0-9]{1,3}$"}, "description": description})
}

fn one_of(description: &str, values: &[&str]) -> Value {
    json!({"type": "string", "enum": values, "description": description})
}

/// `tries`, `interval`, `timeout`: required by every check that retries.
fn retry(mut keys: Vec<Key>) -> Vec<Key> {
    keys.push(req("tries", integer("attempts per run", 1, 255)));
    keys.push(req("interval", duration("pause between attempts")));
    keys.push(req("timeout", duration("deadline of one attempt")));
    keys
}

fn peer() -> Value {
    object(
        "One BGP neighbour.",
        vec![
            req("name", string("unique; the `peer` label of metrics")),
            req("remote_address", ip("unique; IPv4 or IPv6")),
            req(
                "remote_asn",
                integer("equal to local_asn means iBGP", 1, 4_294_967_295),
            ),
            opt("enable_multihop", boolean("default false")),
            opt(
                "multihop_ttl",
                integer("255 when multihop is enabled without it", 1, 255),
            ),
            opt(
                "remote_port",
                integer("extension, default 179", 1, u64::from(u16::MAX)),
            ),
            opt(
                "local_address",
                ip("extension, default announcer.local_address"),
            ),
            opt(
                "passive",
                boolean("extension: wait for the neighbour to connect, default false"),
            ),
            opt(
                "hold_time",
                json!({"type": "integer", "anyOf": [{"const": 0}, {"minimum": 3, "maximum": 65535}],
                       "description": "extension, seconds: 0 or 3..=65535, default 90 (RFC 4271 §4.2)"}),
            ),
            opt("connect_retry", duration("extension, default 5s")),
            opt(
                "md5_password",
                json!({"type": "string", "maxLength": 80,
                       "description": "extension: TCP MD5 signature key (RFC 2385), at most 80 bytes"}),
            ),
            opt(
                "md5_password_file",
                string("extension: file holding the key; not with md5_password"),
            ),
            opt(
                "ttl_security",
                boolean("extension: RFC 5082 GTSM; not with enable_multihop"),
            ),
            opt(
                "bfd",
                bfd("extension: BFD for this peer; overrides announcer.bfd"),
            ),
        ],
    )
}

/// `bfd`: true, false, or the intervals.
fn bfd(description: &str) -> Value {
    let intervals = object(
        "BFD session parameters",
        vec![
            opt("min_tx_interval", duration("default 300ms; 10ms to 60s")),
            opt("min_rx_interval", duration("default 300ms; 10ms to 60s")),
            opt("multiplier", integer("default 3", 1, 255)),
        ],
    );
    json!({"anyOf": [{"type": "boolean"}, intervals], "description": description})
}

fn announcer() -> Value {
    object(
        "The BGP speaker: identity, prefixes and neighbours.",
        vec![
            req("router_id", ipv4("BGP identifier, an IPv4 address")),
            req(
                "local_address",
                ip("TCP source and NEXT_HOP (IPv4 or IPv6)"),
            ),
            req("local_asn", integer("local AS number", 1, 4_294_967_295)),
            opt(
                "routes",
                prefixes("prefixes of services without routes of their own"),
            ),
            opt(
                "next_hop_ipv6",
                ipv6("extension: NEXT_HOP of IPv6 prefixes over IPv4 sessions"),
            ),
            opt(
                "next_hop_ipv4",
                ipv4("extension: NEXT_HOP of IPv4 prefixes over IPv6 sessions"),
            ),
            opt(
                "graceful_restart",
                object(
                    "extension: graceful restart (RFC 4724)",
                    vec![
                        opt("enabled", boolean("default false")),
                        opt("restart_time", duration("default 120s, at most 4095s")),
                    ],
                ),
            ),
            opt(
                "bfd",
                bfd("extension: BFD for every peer without its own bfd key (true: 300ms x 3)"),
            ),
            req(
                "peers",
                json!({"type": "array", "items": peer(), "description": "BGP neighbours"}),
            ),
        ],
    )
}

/// The `spec` of each check kind, in the loader's order.
fn specs() -> Vec<(&'static str, Value)> {
    let host_port = |d: &str| json!({"type": "string", "minLength": 1, "description": d});
    vec![
        (
            "assigned_address",
            object(
                "The address is configured on an interface (ipv4 or ipv6, not both).",
                vec![
                    opt("ipv4", ipv4("the address")),
                    opt("ipv6", ipv6("extension: the address")),
                    opt("interface", string("only on this interface")),
                ],
            ),
        ),
        (
            "dns_lookup",
            object(
                "A DNS query is answered.",
                retry(vec![
                    req("query", string("the name to look up")),
                    req(
                        "resolver",
                        host_port("server, host[:port], port 53 by default"),
                    ),
                    opt(
                        "record_type",
                        one_of(
                            "extension, any case, default host",
                            &[
                                "host", "A", "AAAA", "CNAME", "MX", "NS", "TXT", "SRV", "SOA",
                                "PTR",
                            ],
                        ),
                    ),
                    opt("expect", strings("extension: answers that must be present")),
                    opt(
                        "protocol",
                        one_of("extension, default udp", &["udp", "tcp"]),
                    ),
                ]),
            ),
        ),
        (
            "http_2xx",
            object(
                "An HTTP request gets an expected status.",
                retry(vec![
                    req("url", string("absolute http:// or https:// URL")),
                    req("method", string("HTTP method")),
                    opt(
                        "headers",
                        json!({"type": "object", "additionalProperties": {"type": "string"},
                               "description": "request headers"}),
                    ),
                    opt(
                        "payload",
                        json!({"type": "string", "description": "request body"}),
                    ),
                    opt(
                        "expected_status",
                        json!({"type": "array", "items": {"anyOf": [
                                   {"type": "integer", "minimum": 100, "maximum": 999},
                                   {"type": "string", "pattern": "^[0-9]{3}(-[0-9]{3})?$"}]},
                               "description": "extension: codes and ranges, default 200-299"}),
                    ),
                    opt(
                        "body_contains",
                        string("extension: text the body must contain"),
                    ),
                    opt(
                        "insecure",
                        boolean("extension: skip TLS verification, default false"),
                    ),
                ]),
            ),
        ),
        (
            "icmp_ping",
            object(
                "ICMP echo replies come back.",
                retry(vec![
                    req(
                        "static",
                        object(
                            "the target",
                            vec![req("host", string("host name or address"))],
                        ),
                    ),
                    opt(
                        "max_loss",
                        integer(
                            "extension, percent lost that still passes, default 0",
                            0,
                            100,
                        ),
                    ),
                ]),
            ),
        ),
        (
            "ntpq",
            object(
                "An NTP server answers within an offset.",
                retry(vec![
                    req("server", host_port("host[:port], port 123 by default")),
                    opt("src_addr", ip("source address")),
                    req("offset_threshold", duration("largest accepted offset")),
                ]),
            ),
        ),
        (
            "tftp_rrq",
            object(
                "A TFTP read request returns the file (RFC 1350).",
                retry(vec![
                    req("url", string("tftp://host[:port]/file")),
                    opt(
                        "expected_sha256",
                        json!({"type": "string", "pattern": "^[0-9a-fA-F]{64}$",
                               "description": "SHA-256 of the file"}),
                    ),
                    opt(
                        "min_size",
                        integer("extension: smallest size in bytes", 0, u64::MAX),
                    ),
                ]),
            ),
        ),
        (
            "tls_certificate",
            object(
                "A certificate (local file or remote server) matches (local or remote, not both).",
                vec![
                    opt(
                        "local",
                        object(
                            "a PEM file",
                            vec![req("path", string("path of the certificate"))],
                        ),
                    ),
                    opt(
                        "remote",
                        object(
                            "a TLS server",
                            vec![
                                req("host", host_port("host:port")),
                                opt("insecure", boolean("skip chain verification")),
                                opt("server_name", string("extension: SNI and name to verify")),
                            ],
                        ),
                    ),
                    opt("common_name", string("expected subject CN")),
                    opt("dns_names", strings("expected DNS SANs")),
                    opt("ip_addresses", strings("expected IP SANs")),
                    opt("issuer", string("expected issuer CN")),
                    opt(
                        "expires_in_less_than",
                        duration("extension: fail when it expires sooner"),
                    ),
                    opt("ca_file", string("extension: CA bundle to verify against")),
                    opt("timeout", duration("extension, default 5s")),
                ],
            ),
        ),
        (
            "tcp_connect",
            object(
                "extension: a TCP connection is accepted.",
                vec![
                    req("address", host_port("host:port")),
                    opt("timeout", duration("default 2s")),
                ],
            ),
        ),
        (
            "exec",
            object(
                "extension: a command exits like a Nagios plugin (0 ok, 1 warning, 2 critical).",
                vec![
                    req(
                        "command",
                        json!({"type": "array", "minItems": 1, "items": {"type": "string"},
                               "description": "program and arguments, no shell"}),
                    ),
                    opt(
                        "env",
                        json!({"type": "object", "additionalProperties": {"type": "string"},
                               "description": "environment variables"}),
                    ),
                    opt("timeout", duration("default 5s")),
                ],
            ),
        ),
        (
            "file",
            object(
                "extension: a maintenance switch file.",
                vec![
                    req("path", string("the file")),
                    req(
                        "present_means",
                        one_of("what the file's presence means", &["drain", "down", "up"]),
                    ),
                ],
            ),
        ),
    ]
}

fn check() -> Value {
    let kinds: Vec<&str> = specs().iter().map(|(kind, _)| *kind).collect();
    let mut out = object(
        "One health check.",
        vec![
            req("kind", one_of("the probe", &kinds)),
            req(
                "spec",
                json!({"type": "object", "description": "the probe's settings; see the kind"}),
            ),
            opt("group", string("used by the all_in_group strategy")),
            opt("name", string("extension; default <kind> or <kind>-<n>")),
            opt("interval", duration("extension, default check_interval")),
            opt("timeout", duration("extension: hard deadline of one run")),
            opt(
                "rise",
                integer("extension, passes in a row before up, default 1", 1, 255),
            ),
            opt(
                "fall",
                integer(
                    "extension, failures in a row before down, default 1",
                    1,
                    255,
                ),
            ),
            opt(
                "splay",
                boolean("extension, spread the runs over the interval, default true"),
            ),
        ],
    );
    let branches: Vec<Value> = specs()
        .into_iter()
        .map(|(kind, spec)| {
            json!({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                   "then": {"properties": {"spec": spec}}})
        })
        .collect();
    if let Value::Object(map) = &mut out {
        map.insert("allOf".into(), Value::Array(branches));
    }
    out
}

/// `med`, `prepend`, `communities`, `large_communities`, `withdraw`: what a state does to a route.
fn route_action_keys() -> Vec<Key> {
    vec![
        opt(
            "med",
            integer("MULTI_EXIT_DISC (RFC 4271 §5.1.4)", 0, u64::from(u32::MAX)),
        ),
        opt(
            "prepend",
            integer("extra copies of the local AS in AS_PATH", 0, 32),
        ),
        opt(
            "communities",
            json!({"type": "array", "items": {"type": "string", "pattern": "^[0-9]+:[0-9]+$"},
                   "description": "ASN:VALUE communities (RFC 1997)"}),
        ),
        opt(
            "large_communities",
            json!({"type": "array", "items": {"type": "string", "pattern": "^[0-9]+:[0-9]+:[0-9]+$"},
                   "description": "GLOBAL:LOCAL1:LOCAL2 large communities (RFC 8092)"}),
        ),
        opt(
            "withdraw",
            boolean("true: withdraw instead; takes no attributes"),
        ),
    ]
}

/// `states.<state>`: an action, and per-peer actions keyed by peer name.
fn state_route(description: &str) -> Value {
    let mut keys = route_action_keys();
    let mut per_peer = object("what this peer gets instead", route_action_keys());
    if let Value::Object(map) = &mut per_peer {
        map.insert("description".into(), "what this peer gets instead".into());
    }
    keys.push(opt(
        "peers",
        json!({"type": "object", "additionalProperties": per_peer,
               "description": "per peer name: what that peer gets instead"}),
    ));
    object(description, keys)
}

fn service() -> Value {
    object(
        "A service: checks, a strategy, and the prefixes it owns.",
        vec![
            req("name", string("unique; the `service` label of metrics")),
            req("check_interval", duration("time between evaluations")),
            opt(
                "strategy",
                one_of(
                    "default at_least_one",
                    &[
                        "at_least_one",
                        "all",
                        "all_in_group",
                        "at_least_n_percentage",
                    ],
                ),
            ),
            opt(
                "strategy_options",
                object(
                    "only for at_least_n_percentage",
                    vec![req(
                        "n",
                        json!({"type": "number", "minimum": 0, "maximum": 1,
                               "description": "down when failed/total > n"}),
                    )],
                ),
            ),
            req(
                "checks",
                json!({"type": "array", "items": check(), "description": "health checks"}),
            ),
            opt("routes", prefixes("extension: this service's own prefixes")),
            opt(
                "hold_down",
                duration("extension: healthy this long after a failure before announcing again"),
            ),
            opt(
                "inconclusive_grace",
                duration("extension: a probe that cannot run keeps the last state this long"),
            ),
            opt(
                "dampening",
                object(
                    "extension: flap dampening (RFC 2439 applied locally); {} = defaults",
                    vec![
                        opt(
                            "penalty",
                            integer("added per failure, default 1000", 1, u64::from(u32::MAX)),
                        ),
                        opt("half_life", duration("default 60s")),
                        opt(
                            "suppress",
                            integer(
                                "suppressed above this, default 2000",
                                1,
                                u64::from(u32::MAX),
                            ),
                        ),
                        opt(
                            "reuse",
                            integer("released below this, default 750", 1, u64::from(u32::MAX)),
                        ),
                        opt(
                            "max_penalty",
                            integer("ceiling, default 12000", 1, u64::from(u32::MAX)),
                        ),
                    ],
                ),
            ),
            opt(
                "states",
                object(
                    "extension: route attributes per health state (and per peer)",
                    vec![
                        opt("up", state_route("while up, default: announce plainly")),
                        opt(
                            "degraded",
                            state_route("while degraded, default: announce plainly"),
                        ),
                        opt(
                            "draining",
                            state_route(
                                "while draining, default: GRACEFUL_SHUTDOWN 65535:0 and MED 4294967295",
                            ),
                        ),
                        opt("down", state_route("while down, default: withdraw")),
                    ],
                ),
            ),
        ],
    )
}

/// The whole schema, as `--print-config-schema` prints it.
pub fn json_schema() -> Value {
    let mut root = object(
        "anycastd configuration (the Go anycastd's keys plus documented extensions).",
        vec![
            req("announcer", announcer()),
            req(
                "services",
                json!({"type": "array", "items": service(), "description": "services"}),
            ),
            req(
                "metrics",
                object(
                    "Prometheus /metrics, /healthz and /status",
                    vec![
                        req("enabled", boolean("false works (the Go daemon refused it)")),
                        opt(
                            "address",
                            json!({"type": "string", "minLength": 1,
                                   "description": "IP and port; \":9090\" means 0.0.0.0:9090"}),
                        ),
                    ],
                ),
            ),
            opt(
                "shutdown",
                object(
                    "extension: stop behaviour",
                    vec![opt(
                        "drain_time",
                        duration(
                            "keep routes de-preferred this long before withdrawing, default 0",
                        ),
                    )],
                ),
            ),
            opt(
                "lifecycle",
                object(
                    "extension: reload and drain safety",
                    vec![
                        opt(
                            "max_withdraw_percent",
                            integer(
                                "a reload withdrawing more of the announced prefixes is refused, default 50",
                                0,
                                100,
                            ),
                        ),
                        opt(
                            "drain_file",
                            string("every service drains while this file exists"),
                        ),
                    ],
                ),
            ),
        ],
    );
    if let Value::Object(map) = &mut root {
        map.insert(
            "$schema".into(),
            "https://json-schema.org/draft/2020-12/schema".into(),
        );
        map.insert("$id".into(), SCHEMA_ID.into());
        map.insert("title".into(), "anycastd configuration".into());
    }
    root
}

/// [`json_schema`] as pretty-printed text with a final newline: the shipped file's exact content.
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    text.push('\n');
    text
}
