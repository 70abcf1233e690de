#!/usr/bin/env bash
# Blackhole detection: how long a router keeps the routes of a node that went silent, for three
# speakers in the same run against one BIRD 2: anycastd with BFD, BIRD as the announcer with BFD,
# and anycastd with the hold timer only.
#
# The router (BIRD, `protocol bfd` at 100 ms x 3, BGP hold time 9 s, `bfd on`) is in one namespace;
# the speaker under test is in the other, announcing 192.0.2.1/32. Each repetition waits until the
# router has the route (and, with BFD, an Up session), then drops everything the speaker's namespace
# sends (nftables, output hook) and polls `birdc show route` until the route is gone: that time is
# the sample. Then it lifts the drop and waits for the route to come back. The phases run one after
# the other in the same namespaces, with the same router.
#
# Needs root and the Debian packages iproute2, bird2 and nftables, and the anycastd binary
# ($ANYCASTD_BIN, default $CARGO_TARGET_DIR/release/anycastd). Bounded: every wait gives up after
# $LIMIT s; cleans up namespaces, processes (by PID) and its directory on every exit.
#
#   sudo bench/bfd-blackhole.sh            # REPS=10 INTERVAL_MS=100 MULT=3
# Writes the samples to $OUT (default $OUT_DIR/bfd-blackhole.csv): speaker,rep,seconds
set -euo pipefail

REPS=${REPS:-10}
INTERVAL_MS=${INTERVAL_MS:-100}
MULT=${MULT:-3}
LIMIT=${LIMIT:-60}
. "$(dirname "$0")/lib.sh"
OUT=${OUT:-$OUT_DIR/bfd-blackhole.csv}
lab_init bfd-blackhole "acd-bh-$$" 0.2
SPEAKER=""
cleanup_first() { stop_pid "$SPEAKER"; }

need_root "network namespaces, nftables, port 179"
need ip iproute2; need bird bird2; need birdc bird2; need nft nftables
need_anycastd

lab_link b 198.18.5.1/24 198.18.5.2/24
ROUTE=192.0.2.1/32
BFD_PROTOCOL="protocol bfd { interface \"*\" { min rx interval $INTERVAL_MS ms; min tx interval $INTERVAL_MS ms; multiplier $MULT; }; }"

cat > "$DIR/bird.conf" <<BIRD
log "$DIR/bird.log" all;
router id 198.18.5.1;
protocol device { }
$BFD_PROTOCOL
protocol bgp spk { local 198.18.5.1 as 65000; neighbor 198.18.5.2 as 65001; passive on; hold time 9; error wait time 1, 5; bfd on; ipv4 { import all; export none; }; }
BIRD
bird_start; PIDS+=("$BIRD")

has_route() { birdc -s "$DIR/bird.ctl" show route "$ROUTE" 2>/dev/null | grep -q "^$ROUTE"; }
bfd_up() { birdc -s "$DIR/bird.ctl" show bfd sessions 2>/dev/null | grep -q "198.18.5.2 .* Up "; }
wait_for() {
    local what=$1 i
    for i in $(seq $((LIMIT * 100))); do
        "$what" && return 0
        sleep 0.01
    done
    die "timed out waiting for $what"
}
no_route() { ! has_route; }

blackhole_on() {
    ip netns exec "$NS_D" nft add table inet acdbh
    ip netns exec "$NS_D" nft add chain inet acdbh out '{ type filter hook output priority 0 ; policy accept ; }'
}
blackhole_drop() { ip netns exec "$NS_D" nft add rule inet acdbh out drop; }
blackhole_off() { ip netns exec "$NS_D" nft delete table inet acdbh 2>/dev/null || true; }

anycastd_config() {
    cat > "$DIR/anycastd.yaml" <<YAML
announcer:
  router_id: 198.18.5.2
  local_address: 198.18.5.2
  local_asn: 65001
  routes: [$ROUTE]
  peers:
    - name: r
      remote_address: 198.18.5.1
      remote_asn: 65000
      hold_time: 9
      connect_retry: 1s
$1
services:
  - name: s
    check_interval: 1s
    checks:
      - kind: exec
        spec: {command: ["/bin/true"]}
metrics:
  enabled: false
YAML
    acd_check "$DIR/anycastd.yaml"
}

start_speaker() {
    case $1 in
        anycastd-bfd)
            anycastd_config "      bfd: {min_tx_interval: ${INTERVAL_MS}ms, min_rx_interval: ${INTERVAL_MS}ms, multiplier: $MULT}"
            ip netns exec "$NS_D" env LOG_LEVEL=warn "$ANYCASTD_BIN" --config "$DIR/anycastd.yaml" >>"$DIR/speaker.log" 2>&1 &
            ;;
        anycastd-hold)
            anycastd_config ""
            ip netns exec "$NS_D" env LOG_LEVEL=warn "$ANYCASTD_BIN" --config "$DIR/anycastd.yaml" >>"$DIR/speaker.log" 2>&1 &
            ;;
        bird-bfd)
            cat > "$DIR/speaker.conf" <<BIRD
log "$DIR/speaker-bird.log" all;
router id 198.18.5.2;
protocol device { }
$BFD_PROTOCOL
protocol static { ipv4; route $ROUTE blackhole; }
protocol bgp up { local 198.18.5.2 as 65001; neighbor 198.18.5.1 as 65000; hold time 9; connect retry time 1; error wait time 1, 5; bfd on; ipv4 { import none; export all; }; }
BIRD
            ip netns exec "$NS_D" bird -f -c "$DIR/speaker.conf" -s "$DIR/speaker.ctl" >>"$DIR/speaker.log" 2>&1 &
            ;;
    esac
    SPEAKER=$!
}

echo "speaker,rep,seconds" > "$OUT"
for speaker in anycastd-bfd bird-bfd anycastd-hold; do
    start_speaker "$speaker"
    for rep in $(seq "$REPS"); do
        wait_for has_route
        if [ "$speaker" != anycastd-hold ]; then wait_for bfd_up; fi
        sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", 0.5 + rand() }')"
        blackhole_on
        t0=$(now)
        blackhole_drop
        wait_for no_route
        t1=$(now)
        blackhole_off
        awk -v a="$t0" -v b="$t1" -v s="$speaker" -v r="$rep" 'BEGIN { printf "%s,%d,%.4f\n", s, r, b - a }' | tee -a "$OUT"
    done
    stop_pid "$SPEAKER"; SPEAKER=""
    sleep 1
done

echo
echo "speaker        n   min      median   p90      max      (seconds from the drop to the route gone)"
for speaker in anycastd-bfd bird-bfd anycastd-hold; do
    grep "^$speaker," "$OUT" | cut -d, -f3 | sort -n | awk -v s="$speaker" '
        { v[NR] = $1 }
        END { printf "%-14s %-3d %-8.3f %-8.3f %-8.3f %-8.3f\n", s, NR, v[1], v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.999)], v[NR] }'
done
