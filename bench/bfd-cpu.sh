#!/usr/bin/env bash
# CPU cost of BFD at aggressive timers: anycastd with $SESSIONS BFD sessions at $INTERVAL_MS x 3
# against FRR's bfdd (with zebra, standalone: no BGP on its side) in another namespace.
#
# Each session has its own link, as single-hop BFD expects (RFC 5881: a session is its neighbour's
# address on one interface): veth pair i joins the namespaces with 198.18.6.(4i+1) on FRR's side
# and 198.18.6.(4i+2) on ours; bfdd runs `peer <ours> local-address <its> interface vRi` and
# anycastd has one peer per FRR address with `bfd`. Its BGP sessions
# find no listener and back off; they only add a reconnect now and then. Once every session is Up
# on both sides, the script reads utime + stime of anycastd and of bfdd from /proc/PID/stat, waits
# $SECONDS_RUN s, reads them again, and prints each one's share of one core, and how many BFD
# sessions went down meanwhile (none is expected).
#
# Needs root and the Debian packages iproute2 and frr, and the anycastd binary ($ANYCASTD_BIN,
# default $CARGO_TARGET_DIR/release/anycastd). Cleans up namespaces, processes (by PID) and its
# directory on every exit.
#
#   sudo bench/bfd-cpu.sh             # SESSIONS=10 INTERVAL_MS=10 SECONDS_RUN=60
set -euo pipefail

SESSIONS=${SESSIONS:-10}
INTERVAL_MS=${INTERVAL_MS:-10}
SECONDS_RUN=${SECONDS_RUN:-60}
. "$(dirname "$0")/lib.sh"
lab_init bfd-cpu "acd-bc-$$" 0.2

need_root "network namespaces"
need ip iproute2; need vtysh frr
[ -x /usr/lib/frr/bfdd ] || die "/usr/lib/frr/bfdd not found: install the Debian package frr"
need_anycastd

[ "$SESSIONS" -le 60 ] || die "at most 60 sessions (one /30 each in 198.18.6.0/24)"
lab_link c
theirs() { echo "198.18.6.$(($1 * 4 + 1))"; }
ours() { echo "198.18.6.$(($1 * 4 + 2))"; }
for i in $(seq 0 $((SESSIONS - 1))); do
    ip link add "c$$r$i" type veth peer name "c$$d$i"
    ip link set "c$$r$i" netns "$NS_R" name "vR$i"; ip link set "c$$d$i" netns "$NS_D" name "vD$i"
    ip -n "$NS_R" addr add "$(theirs "$i")/30" dev "vR$i"; ip -n "$NS_D" addr add "$(ours "$i")/30" dev "vD$i"
    ip -n "$NS_R" link set "vR$i" up; ip -n "$NS_D" link set "vD$i" up
done
chmod 777 "$DIR"

{
    echo "hostname r"
    echo "bfd"
    for i in $(seq 0 $((SESSIONS - 1))); do
        echo " peer $(ours "$i") local-address $(theirs "$i") interface vR$i"
        echo "  receive-interval $INTERVAL_MS"
        echo "  transmit-interval $INTERVAL_MS"
        echo "  detect-multiplier 3"
        echo " !"
    done
    echo "!"
} > "$DIR/bfdd.conf"
echo "hostname r" > "$DIR/zebra.conf"
for daemon in zebra bfdd; do
    extra=()
    if [ "$daemon" = bfdd ]; then extra=(--bfdctl "$DIR/bfdd.sock"); fi
    ip netns exec "$NS_R" "/usr/lib/frr/$daemon" -f "$DIR/$daemon.conf" -i "$DIR/$daemon.pid" -z "$DIR/zserv.api" \
        --vty_socket "$DIR" -P 0 "${extra[@]}" >"$DIR/$daemon.out" 2>&1 &
    PIDS+=("$!")
    sleep 1
done
BFDD=${PIDS[-1]}

{
    cat <<YAML
announcer:
  router_id: 198.18.6.2
  local_address: 198.18.6.2
  local_asn: 65001
  routes: [192.0.2.1/32]
  bfd: {min_tx_interval: ${INTERVAL_MS}ms, min_rx_interval: ${INTERVAL_MS}ms, multiplier: 3}
  peers:
YAML
    for i in $(seq 0 $((SESSIONS - 1))); do
        printf '    - {name: r%d, remote_address: %s, remote_asn: 65000, connect_retry: 30s}\n' "$i" "$(theirs "$i")"
    done
    cat <<YAML
services:
  - name: s
    check_interval: 1s
    checks:
      - kind: exec
        spec: {command: ["/bin/true"]}
metrics:
  enabled: false
YAML
} > "$DIR/anycastd.yaml"
acd_check "$DIR/anycastd.yaml"
acd_start LOG_LEVEL=${ACD_LOG_LEVEL:-warn}

up_count() { vtysh --vty_socket "$DIR" -d bfdd -c "show bfd peers brief" 2>/dev/null | grep -c " up " || true; }
for i in $(seq 600); do
    [ "$(up_count)" -ge "$SESSIONS" ] && break
    sleep 0.1
done
[ "$(up_count)" -ge "$SESSIONS" ] || die "only $(up_count) of $SESSIONS sessions came up"

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
downs_before=$(grep -c -- "-> down" "$DIR/anycastd.log" || true)
a0=$(ticks "$ACD"); b0=$(ticks "$BFDD"); t0=$(now)
sleep "$SECONDS_RUN"
a1=$(ticks "$ACD"); b1=$(ticks "$BFDD"); t1=$(now)
downs_after=$(grep -c -- "-> down" "$DIR/anycastd.log" || true)
echo "$SESSIONS sessions at ${INTERVAL_MS} ms x 3, $(up_count) up at the end, $((downs_after - downs_before)) went down in the window"
awk -v a="$((a1 - a0))" -v b="$((b1 - b0))" -v hz="$hz" -v t0="$t0" -v t1="$t1" 'BEGIN {
    w = t1 - t0
    printf "anycastd: %.2f%% of one core (%d ticks in %.1f s)\n", 100 * a / hz / w, a, w
    printf "FRR bfdd: %.2f%% of one core (%d ticks in %.1f s)\n", 100 * b / hz / w, b, w
}'
