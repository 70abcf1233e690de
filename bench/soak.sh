#!/usr/bin/env bash
# Soak: FLAPS peer flaps (default 1,000), then RELOADS SIGHUP reloads (default 1,000), against one
# anycastd announcing PREFIXES prefixes (default 100) to one BIRD 2 in another namespace.
#
# Flaps alternate two kinds: the router restarts (BIRD killed with SIGKILL by PID and started again,
# so no NOTIFICATION) and the link goes down and up (`ip link set vR down; up`, which BIRD sees and
# anycastd learns through a reset or its 3 s hold timer). After each flap the script waits for the
# session and for every prefix in BIRD's RIB (time-to-recover). Reloads alternate two configs (one
# more prefix, another check interval) and wait for BIRD's RIB to match each; the session must not
# drop. Every 50 steps it samples anycastd's RSS and open fds (/proc/PID/status, /proc/PID/fd).
# Passes when nothing is stuck or missing at the end, RSS stays within 10 % of its first sample
# after warm-up, and the fd count returns to where it started.
#
# Needs root and the Debian packages iproute2, bird2, python3, and the anycastd binary
# ($ANYCASTD_BIN, default $CARGO_TARGET_DIR/release/anycastd). Bounded: each recovery gives up after
# $LIMIT s (default 30); cleans up namespaces, processes (by PID) and its directory on every exit.
#
#   sudo bench/soak.sh                 # FLAPS=1000 RELOADS=1000 PREFIXES=100
set -euo pipefail

FLAPS=${FLAPS:-1000}
RELOADS=${RELOADS:-1000}
PREFIXES=${PREFIXES:-100}
LIMIT=${LIMIT:-30}
. "$(dirname "$0")/lib.sh"
lab_init soak "acd-soak-$$" 0.3
BIRD=""
# BIRD is killed and restarted by the flaps, so it is not in PIDS.
cleanup_first() { stop_pid "$BIRD"; }

need_root
need ip iproute2; need bird bird2; need birdc bird2; need python3 python3
need_anycastd

lab_link k 198.18.6.1/24 198.18.6.2/24

cat > "$DIR/bird.conf" <<BIRD
log "$DIR/bird.log" { warning, error, fatal };
timeformat protocol "%s.%6f";
router id 198.18.6.1;
protocol device { scan time 1; }
protocol bgp acd { local 198.18.6.1 as 65000; neighbor 198.18.6.2 as 65001; passive on; hold time 3; error wait time 0, 1; ipv4 { import all; export none; }; }
BIRD
bird_start

# Two configs: B has one more prefix and another check interval.
python3 - "$DIR" "$PREFIXES" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
def config(extra, interval):
    routes = [f"10.6.{i >> 8}.{i & 255}/32" for i in range(n + extra)]
    return "\n".join([
        "announcer:", "  router_id: 198.18.6.2", "  local_address: 198.18.6.2", "  local_asn: 65001",
        "  routes:"] + [f"    - {r}" for r in routes] + [
        "  peers:", "    - name: bird", "      remote_address: 198.18.6.1", "      remote_asn: 65000",
        "      hold_time: 3", "      connect_retry: 200ms",
        "services:", "  - name: always", f"    check_interval: {interval}", "    checks:",
        "      - kind: exec", "        spec:", "          command: [/bin/true]",
        "metrics:", "  enabled: false", ""])
open(f"{d}/a.yaml", "w").write(config(0, "1s"))
open(f"{d}/b.yaml", "w").write(config(1, "2s"))
PY
cp "$DIR/a.yaml" "$DIR/anycastd.yaml"
acd_check "$DIR/a.yaml"
acd_check "$DIR/b.yaml"
acd_start

state() { birdc -s "$DIR/bird.ctl" show protocols acd 2>/dev/null | awk '$1 == "acd" { print $6 }'; }
count() { birdc -s "$DIR/bird.ctl" show route protocol acd count 2>/dev/null | awk '/routes for/ { print $1; exit }'; }
since() { birdc -s "$DIR/bird.ctl" show protocols acd 2>/dev/null | awk '$1 == "acd" { print $5 }'; }
# Waits until BIRD has the session and exactly $1 routes from it; prints the seconds it took.
recover() {
    local want=$1 t0 deadline
    t0=$(now); deadline=$(( $(date +%s) + LIMIT ))
    until [ "$(state)" = Established ] && [ "$(count)" = "$want" ]; do
        kill -0 "$ACD" 2>/dev/null || die "anycastd exited: $(tail -5 "$DIR/anycastd.log")"
        [ "$(date +%s)" -lt "$deadline" ] || die "stuck: state $(state), $(count) of $want routes after ${LIMIT}s; anycastd log: $(tail -5 "$DIR/anycastd.log")"
        sleep 0.02
    done
    echo "$(now) - $t0" | bc
}
# BIRD prints Since by converting its monotonic stamp to wall time, which jitters by microseconds:
# a change counts only past 50 ms (a flap here takes at least 100 ms).
moved() { [ "$(echo "d = $2 - $1; d > 0.05 || d < -0.05" | bc -l)" = 1 ]; }
rss() { awk '/VmRSS/ { print $2 }' "/proc/$ACD/status"; }
fds() { ls "/proc/$ACD/fd" | wc -l; }

recover "$PREFIXES" >/dev/null
sleep 2
fd0=$(fds); rss_start=$(rss); rss_first=""; dropped=0; last_since=$(since); SAMPLES="$DIR/samples.csv"; echo "phase,step,rss_kib,fds" > "$SAMPLES"
: > "$DIR/recover.txt"
for i in $(seq "$FLAPS"); do
    if (( i % 2 )); then
        stop_pid "$BIRD"; bird_start
    else
        ip -n "$NS_R" link set vR down
        for _ in $(seq 250); do [ "$(state)" != Established ] && break; sleep 0.02; done
        ip -n "$NS_R" link set vR up
    fi
    recover "$PREFIXES" >> "$DIR/recover.txt"
    s=$(since); moved "$last_since" "$s" && dropped=$(( dropped + 1 )); last_since=$s
    if (( i % 50 == 0 )); then
        echo "flap,$i,$(rss),$(fds)" >> "$SAMPLES"
        [ -n "$rss_first" ] || rss_first=$(rss)  # after 50 flaps of warm-up
        printf 'flaps %d: RSS %d KiB, %d fds\n' "$i" "$(rss)" "$(fds)" >&2
    fi
done

since_before=$(since); reload_failures=0; : > "$DIR/reload.txt"
for i in $(seq "$RELOADS"); do
    if (( i % 2 )); then cp "$DIR/b.yaml" "$DIR/anycastd.yaml"; want=$(( PREFIXES + 1 ));
    else cp "$DIR/a.yaml" "$DIR/anycastd.yaml"; want=$PREFIXES; fi
    kill -HUP "$ACD"
    recover "$want" >> "$DIR/reload.txt"
    if (( i % 50 == 0 )); then
        echo "reload,$i,$(rss),$(fds)" >> "$SAMPLES"
        printf 'reloads %d: RSS %d KiB, %d fds\n' "$i" "$(rss)" "$(fds)" >&2
    fi
done
since_after=$(since)
[ -n "$rss_first" ] || rss_first=$rss_start
sleep 2
final_count=$(count); final_state=$(state); fd1=$(fds); rss_last=$(rss)
cp "$SAMPLES" "${OUT:-$OUT_DIR/soak-samples.csv}"

python3 - "$DIR/recover.txt" "$DIR/reload.txt" <<PY
import sys
def stats(path):
    xs = sorted(float(l) * 1000 for l in open(path) if l.strip())
    if not xs: return "none"
    p = lambda q: xs[min(len(xs) - 1, int(round((len(xs) - 1) * q)))]
    return f"n {len(xs)}, p50 {p(.5):.0f} ms, p99 {p(.99):.0f} ms, max {xs[-1]:.0f} ms"
print("soak: $FLAPS flaps (router SIGKILL+restart / link down-up, alternating), $RELOADS SIGHUP reloads, $PREFIXES prefixes")
print("time to recover after a flap (session + every route back in BIRD):", stats(sys.argv[1]))
print("time for a reload to show in BIRD's RIB:", stats(sys.argv[2]))
PY
want_end=$(( RELOADS % 2 ? PREFIXES + 1 : PREFIXES ))
printf 'flaps that really took the session down (BIRD Since changed): %d of %d\n' "$dropped" "$FLAPS"
printf 'end: session %s, %s of %s routes in BIRD; session kept through the reloads: %s\n' "$final_state" "$final_count" "$want_end" "$(! moved "$since_before" "$since_after" && echo yes || echo "NO ($since_before -> $since_after)")"
printf 'RSS first sample %d KiB, last %d KiB (%+.1f %%); fds %d at start, %d at end\n' "$rss_first" "$rss_last" "$(echo "100 * ($rss_last - $rss_first) / $rss_first" | bc -l)" "$fd0" "$fd1"
ok=1
[ "$final_state" = Established ] && [ "$final_count" = "$want_end" ] || ok=0
moved "$since_before" "$since_after" && ok=0
[ "$dropped" = "$FLAPS" ] || ok=0
[ "$(echo "($rss_last - $rss_first) / $rss_first < 0.10 && ($rss_first - $rss_last) / $rss_first < 0.10" | bc -l)" = 1 ] || ok=0
[ "$fd1" -le "$fd0" ] || ok=0
[ "$ok" = 1 ] && echo "soak: PASS" || { echo "soak: FAIL"; exit 1; }
