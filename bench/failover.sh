#!/usr/bin/env bash
# Failover latency: anycastd vs ExaBGP's healthcheck, in the same run, against one BIRD 2.
#
# One HTTP server (python3 -m http.server) is the service. anycastd (http_2xx check) announces
# 192.0.2.1/32, ExaBGP (`python3 -m exabgp healthcheck` running curl) announces 192.0.2.2/32, both
# with the same interval, rise and fall, both to BIRD in another namespace. Each repetition kills the
# HTTP server (SIGKILL, by PID) and measures, for each speaker, the time until BIRD removes its prefix;
# then starts the server again and measures the time until BIRD has the prefix back. Times come from
# BIRD's own log (`timeformat log "%s.%6f"`, `debug { routes }`: microsecond stamps of the import);
# the kill time is taken just before kill(1); the recovery time starts when curl first gets an answer
# from the restarted server (polled every 10 ms, so recovery figures are high by at most ~10 ms).
#
# Needs root and the Debian packages iproute2, bird2, exabgp, python3, curl, and the anycastd binary
# ($ANYCASTD_BIN, default $CARGO_TARGET_DIR/release/anycastd). Bounded: every wait gives up after
# $LIMIT s; cleans up namespaces, processes (by PID) and its directory on every exit.
#
#   sudo bench/failover.sh            # REPS=30 INTERVAL=1 RISE=2 FALL=2
#   REPS=50 INTERVAL=1 RISE=1 FALL=1 sudo -E bench/failover.sh
# Writes the raw samples to $OUT (default ./failover.csv): speaker,phase,rep,seconds.
set -euo pipefail

REPS=${REPS:-30}
INTERVAL=${INTERVAL:-1}
RISE=${RISE:-2}
FALL=${FALL:-2}
LIMIT=${LIMIT:-30}
OUT=${OUT:-$PWD/failover.csv}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ANYCASTD_BIN=${ANYCASTD_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/anycastd}
TAG="acd-fo-$$"
NS_R="$TAG-r"
NS_D="$TAG-d"
DIR=$(mktemp -d "/tmp/$TAG.XXXXXX")
PIDS=()
HTTP=""

die() { echo "failover: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: install the Debian package $2"; }

cleanup() {
    local pid
    [ -n "$HTTP" ] && { kill -KILL "$HTTP" 2>/dev/null || true; wait "$HTTP" 2>/dev/null || true; }
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 0.2
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    ip netns del "$NS_R" 2>/dev/null || true
    ip netns del "$NS_D" 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "kept $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, port 179)"
need ip iproute2; need bird bird2; need birdc bird2; need exabgp exabgp; need curl curl
[ -x /usr/bin/python3 ] || die "/usr/bin/python3 not found: install the Debian package python3"
/usr/bin/python3 -c 'import exabgp.application.healthcheck' 2>/dev/null || die "ExaBGP's healthcheck module is missing: install the Debian package exabgp"
[ -x "$ANYCASTD_BIN" ] || die "anycastd binary not found at $ANYCASTD_BIN (cargo build --release -p anycastd-actors, or set ANYCASTD_BIN)"

ip netns add "$NS_R"; ip netns add "$NS_D"
ip link add "f$$r" type veth peer name "f$$d"
ip link set "f$$r" netns "$NS_R" name vR; ip link set "f$$d" netns "$NS_D" name vD
ip -n "$NS_R" addr add 198.18.3.1/24 dev vR
ip -n "$NS_D" addr add 198.18.3.2/24 dev vD
ip -n "$NS_D" addr add 198.18.3.3/24 dev vD
for ns in "$NS_R" "$NS_D"; do ip -n "$ns" link set lo up; done
ip -n "$NS_R" link set vR up; ip -n "$NS_D" link set vD up

cat > "$DIR/bird.conf" <<BIRD
log "$DIR/bird.log" all;
timeformat log "%s.%6f";
router id 198.18.3.1;
protocol device { }
protocol bgp acd { local 198.18.3.1 as 65000; neighbor 198.18.3.2 as 65001; passive on; debug { states, routes }; ipv4 { import all; export none; }; }
protocol bgp exa { local 198.18.3.1 as 65000; neighbor 198.18.3.3 as 65001; passive on; debug { states, routes }; ipv4 { import all; export none; }; }
BIRD
ip netns exec "$NS_R" bird -f -c "$DIR/bird.conf" -s "$DIR/bird.ctl" >"$DIR/bird.out" 2>&1 & PIDS+=($!)
for _ in $(seq 50); do birdc -s "$DIR/bird.ctl" show status >/dev/null 2>&1 && break; sleep 0.1; done

now() { date +%s.%N; }
has_route() { birdc -s "$DIR/bird.ctl" show route "$1" 2>/dev/null | grep -q "^$1"; }
state() { birdc -s "$DIR/bird.ctl" show protocols "$1" | awk -v p="$1" '$1 == p { print $6 }'; }

mkdir -p "$DIR/www"
http_start() {
    ip netns exec "$NS_D" python3 -m http.server --bind 198.18.3.2 --directory "$DIR/www" 8080 >/dev/null 2>&1 &
    HTTP=$!
    local i
    for i in $(seq 1000); do
        ip netns exec "$NS_D" curl -sf -o /dev/null -m 1 http://198.18.3.2:8080/ && return 0
        sleep 0.01
    done
    die "the HTTP server did not answer"
}
http_kill() { kill -KILL "$HTTP"; wait "$HTTP" 2>/dev/null || true; HTTP=""; }

http_start

# --- anycastd ---------------------------------------------------------------------------------------
cat > "$DIR/anycastd.yaml" <<YAML
announcer:
  router_id: 198.18.3.2
  local_address: 198.18.3.2
  local_asn: 65001
  routes: [192.0.2.1/32]
  peers:
    - name: bird
      remote_address: 198.18.3.1
      remote_asn: 65000
services:
  - name: web
    check_interval: ${INTERVAL}s
    checks:
      - kind: http_2xx
        rise: $RISE
        fall: $FALL
        spec:
          url: http://198.18.3.2:8080/
          method: GET
          tries: 1
          interval: 100ms
          timeout: 1s
metrics:
  enabled: false
YAML
"$ANYCASTD_BIN" --check-config "$DIR/anycastd.yaml" >/dev/null || die "anycastd rejected the generated config"
ip netns exec "$NS_D" env LOG_LEVEL=warn "$ANYCASTD_BIN" --config "$DIR/anycastd.yaml" >"$DIR/anycastd.log" 2>&1 & PIDS+=($!)

# --- ExaBGP + healthcheck ---------------------------------------------------------------------------
cat > "$DIR/exabgp.conf" <<EXA
process hc {
  run /usr/bin/python3 -m exabgp healthcheck --no-syslog --interval $INTERVAL --fast-interval $INTERVAL --rise $RISE --fall $FALL --timeout 1 --cmd "curl -sf -o /dev/null -m 1 http://198.18.3.2:8080/" --ip 192.0.2.2/32 --next-hop 198.18.3.3 --withdraw-on-down --no-ip-setup;
  encoder text;
}
neighbor 198.18.3.1 {
  router-id 198.18.3.3;
  local-address 198.18.3.3;
  local-as 65001;
  peer-as 65000;
  api { processes [ hc ]; }
}
EXA
ip netns exec "$NS_D" env exabgp_daemon_user=root exabgp_daemon_drop=false exabgp_tcp_bind= \
    exabgp_log_destination=stdout exabgp_api_cli=false \
    exabgp "$DIR/exabgp.conf" >"$DIR/exabgp.log" 2>&1 & PIDS+=($!)

# Both sessions up and both prefixes present before the first repetition.
deadline=$(( $(date +%s) + LIMIT * 2 ))
until [ "$(state acd)" = Established ] && [ "$(state exa)" = Established ] && has_route 192.0.2.1/32 && has_route 192.0.2.2/32; do
    [ "$(date +%s)" -lt "$deadline" ] || die "start: acd $(state acd), exa $(state exa); anycastd log: $(tail -5 "$DIR/anycastd.log"); exabgp log: $(tail -20 "$DIR/exabgp.log")"
    sleep 0.1
done

# Waits until BIRD's log has the event for both prefixes after line $1; prints their log stamps.
wait_events() {
    local from=$1 what=$2 t1="" t2="" deadline=$(( $(date +%s) + LIMIT ))
    while [ -z "$t1" ] || [ -z "$t2" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || die "gave up waiting for '$what' (acd: ${t1:-none}, exa: ${t2:-none})"
        sleep 0.05
        t1=$(tail -n +"$from" "$DIR/bird.log" | awk -v w="$what" '/ acd\.ipv4 > / && $0 ~ w && /192\.0\.2\.1\/32/ { print $1; exit }')
        t2=$(tail -n +"$from" "$DIR/bird.log" | awk -v w="$what" '/ exa\.ipv4 > / && $0 ~ w && /192\.0\.2\.2\/32/ { print $1; exit }')
    done
    echo "$t1 $t2"
}

echo "speaker,phase,rep,seconds" > "$OUT"
for rep in $(seq "$REPS"); do
    # A random pause, so the failure falls anywhere in the check period of either speaker.
    sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", 1 + rand() * '"$INTERVAL"' }')"
    line=$(( $(wc -l < "$DIR/bird.log") + 1 ))
    t_kill=$(now); http_kill
    read -r a e < <(wait_events "$line" removed)
    printf 'anycastd,withdraw,%d,%.6f\nexabgp,withdraw,%d,%.6f\n' "$rep" "$(echo "$a - $t_kill" | bc -l)" "$rep" "$(echo "$e - $t_kill" | bc -l)" >> "$OUT"
    sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", 0.5 + rand() * '"$INTERVAL"' }')"
    line=$(( $(wc -l < "$DIR/bird.log") + 1 ))
    http_start; t_up=$(now)
    read -r a e < <(wait_events "$line" added)
    printf 'anycastd,announce,%d,%.6f\nexabgp,announce,%d,%.6f\n' "$rep" "$(echo "$a - $t_up" | bc -l)" "$rep" "$(echo "$e - $t_up" | bc -l)" >> "$OUT"
    printf '.' >&2
done
echo >&2

# Both sessions never dropped.
flaps=$(grep -c "State changed to down" "$DIR/bird.log" || true)

/usr/bin/python3 - "$OUT" "$INTERVAL" "$RISE" "$FALL" "$flaps" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def pct(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p
    lo = int(k); hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)
print(f"failover: {len(rows)//4} repetitions, interval {sys.argv[2]} s, rise {sys.argv[3]}, fall {sys.argv[4]}; times from BIRD's log (µs stamps)")
print(f"{'speaker':10} {'phase':9} {'n':>3} {'min':>7} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}  (ms)")
stats = {}
for speaker in ("anycastd", "exabgp"):
    for phase in ("withdraw", "announce"):
        xs = [float(r["seconds"]) * 1000 for r in rows if r["speaker"] == speaker and r["phase"] == phase]
        stats[(speaker, phase)] = xs
        print(f"{speaker:10} {phase:9} {len(xs):3d} {min(xs):7.1f} {pct(xs,.5):7.1f} {pct(xs,.9):7.1f} {pct(xs,.99):7.1f} {max(xs):7.1f}")
for phase in ("withdraw", "announce"):
    a, e = stats[("anycastd", phase)], stats[("exabgp", phase)]
    print(f"ratio anycastd/exabgp {phase}: p50 {pct(a,.5)/pct(e,.5):.2f}, max {max(a)/max(e):.2f} (below 1 = anycastd faster)")
print(f"BIRD session down events during the run: {sys.argv[5]}")
PY
