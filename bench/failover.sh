#!/usr/bin/env bash
# Failover latency: anycastd periodic, anycastd watched and ExaBGP's healthcheck, in the same run,
# against one BIRD 2.
#
# One HTTP server (python3 -m http.server) is the service. anycastd (http_2xx check) announces
# 192.0.2.1/32, a second anycastd with the same check and `watch: true` (an idle sentinel connection
# to the server; its close runs the check at once, the following runs of the fall count every
# $FAST) announces 192.0.2.3/32, ExaBGP (`python3 -m exabgp healthcheck` running curl) announces
# 192.0.2.2/32, all with the same interval, rise and fall, all to BIRD in another namespace. Each repetition kills the
# HTTP server (SIGKILL, by PID) and measures, for each speaker, the time until BIRD removes its prefix;
# then starts the server again and measures the time until BIRD has the prefix back. Times come from
# BIRD's own log (`timeformat log "%s.%6f"`, `debug { routes }`: microsecond stamps of the import);
# the kill time is taken just before kill(1); the recovery time starts when curl first gets an answer
# from the restarted server (polled every 10 ms: a check can get an answer before the poll does, so
# recovery figures can be a few ms short, even negative, or up to ~10 ms long).
#
# Each of those times is split in two at the moment the speaker decided: anycastd's own log line
# `service is down` / `service is up` (LOG_FORMAT=json, microsecond `ts`), written when the check run
# that completes the fall (rise) is assessed, before the routes go to the peer; and the healthcheck's
# own `send announces for DOWN (UP) state` line, written just before it prints the withdraw
# (announce) for ExaBGP. ExaBGP's own log stamps are whole seconds (`%H:%M:%S`) and the healthcheck
# logs without a stamp (to syslog, or to a terminal), so the healthcheck runs unchanged under a small
# wrapper that adds one log handler with Python's own record time (`%(created).6f`).
# detection = decision - kill (restart); overhead = BIRD's import stamp - decision: what each
# speaker adds beyond its checks. All stamps come from the same machine clock.
#
# Needs root and the Debian packages iproute2, bird2, exabgp, python3, curl, and the anycastd binary
# ($ANYCASTD_BIN, default $CARGO_TARGET_DIR/release/anycastd). Bounded: every wait gives up after
# $LIMIT s; cleans up namespaces, processes (by PID) and its directory on every exit.
#
#   sudo bench/failover.sh            # REPS=30 INTERVAL=1 RISE=2 FALL=2 FAST=1ms
#   REPS=50 INTERVAL=1 RISE=1 FALL=1 sudo -E bench/failover.sh
# Writes the samples to $OUT (default $OUT_DIR/failover.csv, i.e. target/bench/): speaker,phase,rep,seconds,detection,overhead
# (seconds = detection + overhead).
set -euo pipefail

REPS=${REPS:-30}
INTERVAL=${INTERVAL:-1}
RISE=${RISE:-2}
FALL=${FALL:-2}
FAST=${FAST:-1ms}
LIMIT=${LIMIT:-30}
. "$(dirname "$0")/lib.sh"
OUT=${OUT:-$OUT_DIR/failover.csv}
lab_init failover "acd-fo-$$" 0.2
HTTP=""
# The HTTP server is killed and restarted by every repetition, so it is not in PIDS.
cleanup_first() { stop_pid "$HTTP"; }

need_root "network namespaces, port 179"
need ip iproute2; need bird bird2; need birdc bird2; need exabgp exabgp; need curl curl
[ -x /usr/bin/python3 ] || die "/usr/bin/python3 not found: install the Debian package python3"
/usr/bin/python3 -c 'import exabgp.application.healthcheck' 2>/dev/null || die "ExaBGP's healthcheck module is missing: install the Debian package exabgp"
need_anycastd

lab_link f 198.18.3.1/24 198.18.3.2/24 198.18.3.3/24 198.18.3.4/24

cat > "$DIR/bird.conf" <<BIRD
log "$DIR/bird.log" all;
timeformat log "%s.%6f";
router id 198.18.3.1;
protocol device { }
protocol bgp acd { local 198.18.3.1 as 65000; neighbor 198.18.3.2 as 65001; passive on; debug { states, routes }; ipv4 { import all; export none; }; }
protocol bgp exa { local 198.18.3.1 as 65000; neighbor 198.18.3.3 as 65001; passive on; debug { states, routes }; ipv4 { import all; export none; }; }
protocol bgp acw { local 198.18.3.1 as 65000; neighbor 198.18.3.4 as 65001; passive on; debug { states, routes }; ipv4 { import all; export none; }; }
BIRD
bird_start; PIDS+=("$BIRD")

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
http_kill() { stop_pid "$HTTP"; HTTP=""; }

http_start

# --- anycastd, periodic and watched -----------------------------------------------------------------
# acd_yaml ADDRESS PREFIX [CHECK_KEYS]: the config of one anycastd speaking from ADDRESS.
acd_yaml() {
    cat <<YAML
announcer:
  router_id: $1
  local_address: $1
  local_asn: 65001
  routes: [$2]
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
${3:-}        spec:
          url: http://198.18.3.2:8080/
          method: GET
          tries: 1
          interval: 100ms
          timeout: 1s
metrics:
  enabled: false
YAML
}
acd_yaml 198.18.3.2 192.0.2.1/32 > "$DIR/anycastd.yaml"
acd_yaml 198.18.3.4 192.0.2.3/32 "        watch: true
        fast_interval: $FAST
" > "$DIR/watched.yaml"
acd_check "$DIR/anycastd.yaml"
acd_check "$DIR/watched.yaml"
acd_start LOG_FORMAT=json
ip netns exec "$NS_D" env LOG_LEVEL=warn LOG_FORMAT=json "$ANYCASTD_BIN" --config "$DIR/watched.yaml" >"$DIR/watched.log" 2>&1 &
PIDS+=($!)

# --- ExaBGP + healthcheck ---------------------------------------------------------------------------
# `python3 -m exabgp healthcheck ARGS`, with one more handler on its logger: a file, each line
# stamped with the record's creation time (time.time() at the logging call), in microseconds.
cat > "$DIR/healthcheck.py" <<'PY'
import logging, sys
from exabgp.application import healthcheck
handler = logging.FileHandler(sys.argv.pop(1))
handler.setFormatter(logging.Formatter("%(created).6f %(levelname)s %(message)s"))
healthcheck.logger.addHandler(handler)
sys.exit(healthcheck.main())
PY
cat > "$DIR/exabgp.conf" <<EXA
process hc {
  run /usr/bin/python3 $DIR/healthcheck.py $DIR/healthcheck.log --no-syslog --interval $INTERVAL --fast-interval $INTERVAL --rise $RISE --fall $FALL --timeout 1 --cmd "curl -sf -o /dev/null -m 1 http://198.18.3.2:8080/" --ip 192.0.2.2/32 --next-hop 198.18.3.3 --withdraw-on-down --no-ip-setup;
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
until [ "$(state acd)" = Established ] && [ "$(state exa)" = Established ] && [ "$(state acw)" = Established ] && has_route 192.0.2.1/32 && has_route 192.0.2.2/32 && has_route 192.0.2.3/32; do
    [ "$(date +%s)" -lt "$deadline" ] || die "start: acd $(state acd), acw $(state acw), exa $(state exa); anycastd log: $(tail -5 "$DIR/anycastd.log"); watched: $(tail -5 "$DIR/watched.log"); exabgp log: $(tail -20 "$DIR/exabgp.log")"
    sleep 0.1
done

# Waits until BIRD's log has the event for all three prefixes after line $1; prints their log stamps.
wait_events() {
    local from=$1 what=$2 t1="" t2="" t3="" deadline=$(( $(date +%s) + LIMIT ))
    while [ -z "$t1" ] || [ -z "$t2" ] || [ -z "$t3" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || die "gave up waiting for '$what' (acd: ${t1:-none}, exa: ${t2:-none}, acw: ${t3:-none})"
        sleep 0.05
        t1=$(tail -n +"$from" "$DIR/bird.log" | awk -v w="$what" '/ acd\.ipv4 > / && $0 ~ w && /192\.0\.2\.1\/32/ { print $1; exit }')
        t2=$(tail -n +"$from" "$DIR/bird.log" | awk -v w="$what" '/ exa\.ipv4 > / && $0 ~ w && /192\.0\.2\.2\/32/ { print $1; exit }')
        t3=$(tail -n +"$from" "$DIR/bird.log" | awk -v w="$what" '/ acw\.ipv4 > / && $0 ~ w && /192\.0\.2\.3\/32/ { print $1; exit }')
    done
    echo "$t1 $t2 $t3"
}

# One line per repetition: rep, kill time, BIRD's removal stamps (anycastd, ExaBGP), restart time,
# BIRD's import stamps.
: > "$DIR/events.txt"
for rep in $(seq "$REPS"); do
    # A random pause, so the failure falls anywhere in the check period of either speaker.
    sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", 1 + rand() * '"$INTERVAL"' }')"
    line=$(( $(wc -l < "$DIR/bird.log") + 1 ))
    t_kill=$(now); http_kill
    read -r wa we ww < <(wait_events "$line" removed)
    sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", 0.5 + rand() * '"$INTERVAL"' }')"
    line=$(( $(wc -l < "$DIR/bird.log") + 1 ))
    http_start; t_up=$(now)
    read -r aa ae aw < <(wait_events "$line" added)
    echo "$rep $t_kill $wa $we $t_up $aa $ae $ww $aw" >> "$DIR/events.txt"
    printf '.' >&2
done
echo >&2

# Both sessions never dropped.
flaps=$(grep -c "State changed to down" "$DIR/bird.log" || true)

/usr/bin/python3 - "$OUT" "$INTERVAL" "$RISE" "$FALL" "$flaps" "$DIR/events.txt" "$DIR/anycastd.log" "$DIR/healthcheck.log" "$DIR/watched.log" "$FAST" <<'PY'
import csv, datetime, json, sys
out, interval, rise, fall, flaps, events, acd_log, hc_log, watched_log, fast = sys.argv[1:11]

def acd_decisions(acd_log):
    """(stamp, "down" | "up") for anycastd's `service is down|up` lines."""
    found = []
    for line in open(acd_log):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        state = {"service is down": "down", "service is up": "up"}.get(record.get("msg"))
        if state:
            found.append((datetime.datetime.fromisoformat(record["ts"].replace("Z", "+00:00")).timestamp(), state))
    return found

def hc_decisions():
    """(stamp, "down" | "up") for the healthcheck's `send announces for DOWN|UP state` lines (one per
    check while the state holds: the first after a change is the decision)."""
    found = []
    for line in open(hc_log):
        parts = line.split()
        if len(parts) >= 6 and parts[2:5] == ["send", "announces", "for"] and parts[5] in ("DOWN", "UP"):
            found.append((float(parts[0]), parts[5].lower()))
    return found

decisions = {"anycastd": acd_decisions(acd_log), "watched": acd_decisions(watched_log), "exabgp": hc_decisions()}

def first(speaker, state, after):
    return next((t for t, s in decisions[speaker] if s == state and t > after), None)

rows = []
for line in open(events):
    rep, t_kill, wa, we, t_up, aa, ae, ww, aw = line.split()
    rep, t_kill, t_up = int(rep), float(t_kill), float(t_up)
    for speaker, removed, added in (("anycastd", wa, aa), ("watched", ww, aw), ("exabgp", we, ae)):
        down = first(speaker, "down", t_kill)
        # The recovery's decision is the first `up` after this repetition's `down`: a check that
        # passed just before the kill may log `up` after it.
        up = first(speaker, "up", down) if down is not None else None
        if down is None or up is None:
            sys.exit(f"failover: no {speaker} decision found for repetition {rep}")
        rows.append((speaker, "withdraw", rep, float(removed) - t_kill, down - t_kill, float(removed) - down))
        rows.append((speaker, "announce", rep, float(added) - t_up, up - t_up, float(added) - up))
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["speaker", "phase", "rep", "seconds", "detection", "overhead"])
    for r in rows:
        w.writerow([r[0], r[1], r[2]] + [f"{x:.6f}" for x in r[3:]])

def pct(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p
    lo = int(k); hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)
def series(speaker, phase, column):
    return [r[column] * 1000 for r in rows if r[0] == speaker and r[1] == phase]
speakers, phases = ("anycastd", "watched", "exabgp"), ("withdraw", "announce")
print(f"failover: {len(rows)//6} repetitions, interval {interval} s, rise {rise}, fall {fall}; watched: watch: true, fast_interval {fast}; times from BIRD's log (µs stamps)")
print(f"{'speaker':10} {'phase':9} {'n':>3} {'min':>7} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}  (ms)")
for speaker in speakers:
    for phase in phases:
        xs = series(speaker, phase, 3)
        print(f"{speaker:10} {phase:9} {len(xs):3d} {min(xs):7.1f} {pct(xs,.5):7.1f} {pct(xs,.9):7.1f} {pct(xs,.99):7.1f} {max(xs):7.1f}")
for phase in phases:
    a, e = series("anycastd", phase, 3), series("exabgp", phase, 3)
    print(f"ratio anycastd/exabgp {phase}: p50 {pct(a,.5)/pct(e,.5):.2f}, max {max(a)/max(e):.2f} (below 1 = anycastd faster)")
w, e = series("watched", "withdraw", 3), series("exabgp", "withdraw", 3)
print(f"ratio watched/exabgp withdraw: p50 {pct(w,.5)/pct(e,.5):.3f}, max {max(w)/max(e):.3f}")
print()
print("split at the speaker's own decision (its log stamp): detection = decision - kill (restart),")
print("overhead = BIRD's stamp - decision (what the speaker adds beyond its checks)")
print(f"{'speaker':10} {'phase':9} {'detection p50':>13} {'p99':>7} {'max':>7} | {'overhead min':>12} {'p50':>7} {'p99':>7} {'max':>7}  (ms)")
for speaker in speakers:
    for phase in phases:
        d, o = series(speaker, phase, 4), series(speaker, phase, 5)
        print(f"{speaker:10} {phase:9} {pct(d,.5):13.1f} {pct(d,.99):7.1f} {max(d):7.1f} | {min(o):12.2f} {pct(o,.5):7.2f} {pct(o,.99):7.2f} {max(o):7.2f}")
for phase in phases:
    a, e = series("anycastd", phase, 5), series("exabgp", phase, 5)
    print(f"overhead ratio anycastd/exabgp {phase}: p50 {pct(a,.5)/pct(e,.5):.2f}, p99 {pct(a,.99)/pct(e,.99):.2f}, max {max(a)/max(e):.2f}")
worst = max(pct(series("anycastd", phase, 5), .99) for phase in phases)
print(f"anycastd overhead p99 {worst:.2f} ms: {'within' if worst < 5 else 'ABOVE'} the 5 ms goal")
print(f"BIRD session down events during the run: {flaps}")
PY
