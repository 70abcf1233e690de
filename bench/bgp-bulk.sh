#!/usr/bin/env bash
# Bulk announce: N /32 prefixes (default 10,000) to BIRD 2 in a network namespace, once from anycastd
# and once from gobgpd, in the same run. For each speaker it prints the time from BIRD seeing the
# session Established to all N prefixes in BIRD's RIB, and from the speaker's start; then the ratio
# anycastd/gobgpd and anycastd's RSS. Bounded (each phase gives up after $LIMIT seconds) and cleans up
# (namespaces, processes by PID, scratch directory) on every exit.
#
# Needs root and the Debian packages iproute2, bird2, gobgpd, python3, curl, and the anycastd binary
# ($ANYCASTD_BIN, default target/release/anycastd: `cargo build --release -p anycastd-actors`).
#
#   sudo bench/bgp-bulk.sh [N]
set -euo pipefail

N=${1:-10000}
LIMIT=${LIMIT:-120}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ANYCASTD_BIN=${ANYCASTD_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/anycastd}
TAG="acd-bench-$$"
NS_R="$TAG-r"
NS_D="$TAG-d"
DIR=$(mktemp -d "/tmp/$TAG.XXXXXX")
PIDS=()

die() { echo "bgp-bulk: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: install the Debian package $2"; }

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    ip netns del "$NS_R" 2>/dev/null || true
    ip netns del "$NS_D" 2>/dev/null || true
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, port 179)"
need ip iproute2; need bird bird2; need birdc bird2; need gobgpd gobgpd; need gobgp gobgpd
need python3 python3; need curl curl; need bc bc
[ -x "$ANYCASTD_BIN" ] || die "anycastd binary not found at $ANYCASTD_BIN (cargo build --release -p anycastd-actors, or set ANYCASTD_BIN)"

# Lab: router .1, anycastd .2, gobgpd .3 on one link.
ip netns add "$NS_R"; ip netns add "$NS_D"
ip link add "b$$r" type veth peer name "b$$d"
ip link set "b$$r" netns "$NS_R" name vR; ip link set "b$$d" netns "$NS_D" name vD
ip -n "$NS_R" addr add 198.18.2.1/24 dev vR
ip -n "$NS_D" addr add 198.18.2.2/24 dev vD
ip -n "$NS_D" addr add 198.18.2.3/24 dev vD
for ns in "$NS_R" "$NS_D"; do ip -n "$ns" link set lo up; done
ip -n "$NS_R" link set vR up; ip -n "$NS_D" link set vD up

cat > "$DIR/bird.conf" <<BIRD
log "$DIR/bird.log" { warning, error, fatal };
router id 198.18.2.1;
protocol device { }
protocol bgp acd { local 198.18.2.1 as 65000; neighbor 198.18.2.2 as 65001; passive on; ipv4 { import all; export none; }; }
protocol bgp gobgp { local 198.18.2.1 as 65000; neighbor 198.18.2.3 as 65001; passive on; ipv4 { import all; export none; }; }
BIRD
ip netns exec "$NS_R" bird -f -c "$DIR/bird.conf" -s "$DIR/bird.ctl" & PIDS+=($!)
for _ in $(seq 50); do birdc -s "$DIR/bird.ctl" show status >/dev/null 2>&1 && break; sleep 0.1; done

now() { date +%s.%N; }
state() { birdc -s "$DIR/bird.ctl" show protocols "$1" | awk -v p="$1" '$1 == p { print $6 }'; }
count() {
    birdc -s "$DIR/bird.ctl" show route protocol "$1" count | awk '/routes for/ { print $1 }'
}
# Waits for protocol $1 to be Established and then for N routes from it; prints "t_established t_all".
measure() {
    local protocol=$1 start=$2 t_up="" t_all="" deadline
    deadline=$(echo "$start + $LIMIT" | bc)
    while :; do
        [ "$(echo "$(now) > $deadline" | bc)" = 1 ] && die "$protocol: gave up after ${LIMIT}s ($(count "$protocol") of $N routes, state $(state "$protocol"))"
        if [ -z "$t_up" ] && [ "$(state "$protocol")" = Established ]; then t_up=$(now); fi
        if [ -n "$t_up" ] && [ "$(count "$protocol")" = "$N" ]; then t_all=$(now); break; fi
        sleep 0.005
    done
    echo "$t_up $t_all"
}

# The prefixes: 10.0.0.0/8 host routes, as YAML for anycastd and as an MRT TABLE_DUMP_V2 file for gobgpd.
python3 - "$N" "$DIR" <<'PY'
import ipaddress, struct, sys
n, d = int(sys.argv[1]), sys.argv[2]
base = int(ipaddress.IPv4Address("10.0.0.0"))
prefixes = [ipaddress.IPv4Address(base + 1 + i) for i in range(n)]
with open(f"{d}/routes.yaml", "w") as f:
    for p in prefixes:
        f.write(f"    - {p}/32\n")
def mrt(subtype, body):
    return struct.pack("!IHHI", 0, 13, subtype, len(body)) + body
# PEER_INDEX_TABLE (RFC 6396 §4.3.1): one peer, IPv4 address, 4-octet AS.
peer_index = struct.pack("!4sHH", bytes(4), 0, 1) + struct.pack("!B4s4sI", 2, bytes(4), bytes(4), 65001)
out = [mrt(1, peer_index)]
# ORIGIN IGP, empty AS_PATH (locally originated), NEXT_HOP 198.18.2.3.
attrs = bytes([0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4]) + ipaddress.IPv4Address("198.18.2.3").packed
# Twice: gobgp 3.10's `mrt inject` loses the tail of its stream now and then; the repeat is idempotent.
for seq, p in enumerate(prefixes + prefixes):
    body = struct.pack("!IB", seq, 32) + p.packed + struct.pack("!HHIH", 1, 0, 0, len(attrs)) + attrs
    out.append(mrt(2, body))
open(f"{d}/routes.mrt", "wb").write(b"".join(out))
PY

# --- anycastd ------------------------------------------------------------------------------------
mkdir -p "$DIR/www"
ip netns exec "$NS_D" python3 -m http.server --bind 198.18.2.2 --directory "$DIR/www" 8080 >/dev/null 2>&1 & PIDS+=($!)
for _ in $(seq 50); do ip netns exec "$NS_D" curl -sf -o /dev/null -m 1 http://198.18.2.2:8080/ && break; sleep 0.1; done
{
    printf 'announcer:\n  router_id: 198.18.2.2\n  local_address: 198.18.2.2\n  local_asn: 65001\n  routes:\n'
    cat "$DIR/routes.yaml"
    printf '  peers:\n    - name: bird\n      remote_address: 198.18.2.1\n      remote_asn: 65000\n'
    printf 'services:\n  - name: web\n    check_interval: 1s\n    checks:\n      - kind: http_2xx\n'
    printf '        spec:\n          url: http://198.18.2.2:8080/\n          method: GET\n          tries: 1\n'
    printf '          interval: 100ms\n          timeout: 1s\nmetrics:\n  enabled: false\n'
} > "$DIR/anycastd.yaml"
"$ANYCASTD_BIN" --check-config "$DIR/anycastd.yaml" >/dev/null || die "anycastd rejected the generated config"
start=$(now)
ip netns exec "$NS_D" env LOG_LEVEL=warn "$ANYCASTD_BIN" --config "$DIR/anycastd.yaml" >"$DIR/anycastd.log" 2>&1 & ACD=$!; PIDS+=($ACD)
read -r acd_up acd_all < <(measure acd "$start")
acd_rss=$(awk '/VmRSS/ { print $2 }' "/proc/$ACD/status")
acd_hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$ACD/status")
kill -TERM "$ACD" 2>/dev/null || true

# --- gobgpd --------------------------------------------------------------------------------------
cat > "$DIR/gobgpd.toml" <<TOML
[global.config]
  as = 65001
  router-id = "198.18.2.3"
  port = -1
  local-address-list = ["198.18.2.3"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "198.18.2.1"
    peer-as = 65000
    admin-down = true
  [neighbors.transport.config]
    local-address = "198.18.2.3"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
TOML
ip netns exec "$NS_D" gobgpd -f "$DIR/gobgpd.toml" -t toml -p --api-hosts 127.0.0.1:50051 --pprof-disable >"$DIR/gobgpd.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do ip netns exec "$NS_D" gobgp global >/dev/null 2>&1 && break; sleep 0.1; done
loaded() { ip netns exec "$NS_D" gobgp global rib summary -a ipv4 | awk '/Destination:/ { gsub(",", "", $2); print $2 }'; }
for _ in 1 2 3 4 5; do
    ip netns exec "$NS_D" gobgp mrt inject global "$DIR/routes.mrt" >/dev/null
    sleep 0.5
    [ "$(loaded)" = "$N" ] && break
done
[ "$(loaded)" = "$N" ] || die "gobgpd holds $(loaded) prefixes after the MRT inject, expected $N"
start=$(now)
ip netns exec "$NS_D" gobgp neighbor 198.18.2.1 enable >/dev/null
read -r gobgp_up gobgp_all < <(measure gobgp "$start")

# --- report --------------------------------------------------------------------------------------
acd_bulk=$(echo "$acd_all - $acd_up" | bc -l)
gobgp_bulk=$(echo "$gobgp_all - $gobgp_up" | bc -l)
printf 'prefixes: %d /32 to BIRD 2 (%s)\n' "$N" "$(bird --version 2>&1 | head -1)"
printf 'anycastd: %.3f s from Established to all prefixes; RSS %d KiB (peak %d KiB)\n' "$acd_bulk" "$acd_rss" "$acd_hwm"
printf 'gobgpd:   %.3f s from Established to all prefixes (%s)\n' "$gobgp_bulk" "$(gobgpd --version 2>&1 | head -1)"
printf 'ratio anycastd/gobgpd: %.2f (below 1 = anycastd faster; birdc polling, about 10 ms granularity)\n' \
    "$(echo "$acd_bulk / $gobgp_bulk" | bc -l)"
