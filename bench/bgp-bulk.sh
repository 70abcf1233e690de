#!/usr/bin/env bash
# Bulk announce: N /32 prefixes (default 10,000) to BIRD 2 in a network namespace, from anycastd, from
# gobgpd and from a second BIRD 2 (static routes exported over BGP), in the same run. For each speaker
# it prints the time from BIRD seeing the session Established to all N prefixes in BIRD's RIB, the
# speaker's RSS once they are all there, and the ratios against anycastd. The last line,
# `RESULT N acd_s acd_rss_kib gobgp_s gobgp_rss_kib bird_s bird_rss_kib`, is for bench/bulk-matrix.sh. Bounded (each phase gives up after $LIMIT seconds) and cleans up
# (namespaces, processes by PID, scratch directory) on every exit.
#
# Needs root and the Debian packages iproute2, bird2, gobgpd, python3, curl, and the anycastd binary
# ($ANYCASTD_BIN, default target/release/anycastd: `cargo build --release -p anycastd-actors`).
#
#   sudo bench/bgp-bulk.sh [N]
set -euo pipefail

N=${1:-10000}
LIMIT=${LIMIT:-120}
. "$(dirname "$0")/lib.sh"
lab_init bgp-bulk "acd-bench-$$"

need_root "network namespaces, port 179"
need ip iproute2; need bird bird2; need birdc bird2; need gobgpd gobgpd; need gobgp gobgpd
need python3 python3; need curl curl; need bc bc
need_anycastd

# Lab: router .1, anycastd .2, gobgpd .3 on one link.
lab_link b 198.18.2.1/24 198.18.2.2/24 198.18.2.3/24 198.18.2.4/24

cat > "$DIR/bird.conf" <<BIRD
log "$DIR/bird.log" all;
timeformat log "%s.%6f";
router id 198.18.2.1;
protocol device { }
protocol bgp acd { debug { states }; local 198.18.2.1 as 65000; neighbor 198.18.2.2 as 65001; passive on; ipv4 { import all; export none; }; }
protocol bgp gobgp { debug { states }; local 198.18.2.1 as 65000; neighbor 198.18.2.3 as 65001; passive on; ipv4 { import all; export none; }; }
protocol bgp bb { debug { states }; local 198.18.2.1 as 65000; neighbor 198.18.2.4 as 65001; passive on; ipv4 { import all; export none; }; }
BIRD
bird_start; PIDS+=("$BIRD")

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
        # The session's start is BIRD's own log stamp of "State changed to up" (µs).
        if [ -z "$t_up" ]; then t_up=$(awk -v p="$protocol:" '$3 == p && /State changed to up/ { print $1; exit }' "$DIR/bird.log"); fi
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
with open(f"{d}/static.conf", "w") as f:
    for p in prefixes:
        f.write(f"  route {p}/32 blackhole;\n")
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
acd_check "$DIR/anycastd.yaml"
start=$(now); acd_t0=$start
acd_start
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
ip netns exec "$NS_D" gobgpd -f "$DIR/gobgpd.toml" -t toml -p --api-hosts 127.0.0.1:50051 --pprof-disable >"$DIR/gobgpd.log" 2>&1 & GOBGP=$!; PIDS+=($GOBGP)
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
gobgp_rss=$(awk '/VmRSS/ { print $2 }' "/proc/$GOBGP/status")

# --- BIRD -> BIRD --------------------------------------------------------------------------------
{
    printf 'log "%s/bird2.log" { warning, error, fatal };\nrouter id 198.18.2.4;\nprotocol device { }\n' "$DIR"
    printf 'protocol static { ipv4;\n'; cat "$DIR/static.conf"; printf '}\n'
    printf 'protocol bgp up { local 198.18.2.4 as 65001; neighbor 198.18.2.1 as 65000; disabled; ipv4 { import none; export all; }; }\n'
} > "$DIR/bird2.conf"
ip netns exec "$NS_D" bird -f -c "$DIR/bird2.conf" -s "$DIR/bird2.ctl" >"$DIR/bird2.out" 2>&1 & BB=$!; PIDS+=($BB)
bird_wait "$DIR/bird2.ctl"
for _ in $(seq 600); do
    [ "$(birdc -s "$DIR/bird2.ctl" show route protocol static1 count | awk '/routes for/ { print $1 }')" = "$N" ] && break
    sleep 0.1
done
start=$(now)
birdc -s "$DIR/bird2.ctl" enable up >/dev/null
read -r bb_up bb_all < <(measure bb "$start")
bb_rss=$(awk '/VmRSS/ { print $2 }' "/proc/$BB/status")

# --- report --------------------------------------------------------------------------------------
acd_bulk=$(echo "$acd_all - $acd_up" | bc -l)
acd_total=$(echo "$acd_all - $acd_t0" | bc -l)
gobgp_bulk=$(echo "$gobgp_all - $gobgp_up" | bc -l)
bb_bulk=$(echo "$bb_all - $bb_up" | bc -l)
printf 'prefixes: %d /32 to BIRD 2 (%s); from BIRD log stamp of the session going up to all prefixes counted in its RIB (birdc polling: below ~20 ms means within one poll)\n' "$N" "$(bird --version 2>&1 | head -1)"
printf '%-22s %10s %12s\n' speaker seconds "RSS KiB"
printf '%-22s %10.3f %12d   (peak %d KiB; %.3f s from process start)\n' anycastd "$acd_bulk" "$acd_rss" "$acd_hwm" "$acd_total"
printf '%-22s %10.3f %12d\n' "gobgpd $(gobgpd --version 2>&1 | awk '{print $NF}')" "$gobgp_bulk" "$gobgp_rss"
printf '%-22s %10.3f %12d\n' "BIRD -> BIRD" "$bb_bulk" "$bb_rss"
printf 'ratio anycastd/gobgpd: time %.2f, RSS %.2f; anycastd/BIRD: time %.2f, RSS %.2f (below 1 = anycastd faster / smaller)\n' \
    "$(echo "$acd_bulk / $gobgp_bulk" | bc -l)" "$(echo "$acd_rss / $gobgp_rss" | bc -l)" \
    "$(echo "$acd_bulk / $bb_bulk" | bc -l)" "$(echo "$acd_rss / $bb_rss" | bc -l)"
printf 'RESULT %d %.3f %d %.3f %d %.3f %d\n' "$N" "$acd_bulk" "$acd_rss" "$gobgp_bulk" "$gobgp_rss" "$bb_bulk" "$bb_rss"
