#!/usr/bin/env bash
# Idle footprint: starts each anycastd binary on each config, one at a time, in a network namespace
# of its own (loopback only), waits $SETTLE seconds (default 8) and prints its RSS split into
# anonymous and file-backed pages (/proc/PID/smaps_rollup), its peak (VmHWM) and its threads. Several
# binaries in one run compare builds side by side (before and after a change). Cleans up (namespace,
# processes by PID) on every exit.
#
#   sudo bench/footprint.sh [CONFIG...]           (default config-examples/minimal.yaml)
#   sudo BINS="/tmp/before /tmp/after" bench/footprint.sh config-examples/minimal.yaml
#
# Needs root and iproute2; the binaries default to $ANYCASTD_BIN (target/release/anycastd).
set -euo pipefail

SETTLE=${SETTLE:-8}
. "$(dirname "$0")/lib.sh"
lab_init footprint "acd-fp-$$"
need_root "network namespaces"
need ip iproute2
CONFIGS=("$@"); [ ${#CONFIGS[@]} -gt 0 ] || CONFIGS=("$ROOT/config-examples/minimal.yaml")
read -r -a BINARIES <<< "${BINS:-$ANYCASTD_BIN}"

ip netns add "$NS_D"
ip -n "$NS_D" link set lo up

kib() { awk -v k="$1:" '$1 == k { print $2 }' "$2"; }
printf '%-28s %-24s %8s %8s %8s %8s %7s\n' binary config "RSS KiB" anon file "peak" threads
for config in "${CONFIGS[@]}"; do
    for bin in "${BINARIES[@]}"; do
        [ -x "$bin" ] || die "not an executable: $bin"
        ip netns exec "$NS_D" env LOG_LEVEL=warn "$bin" --config "$config" >"$DIR/anycastd.log" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        sleep "$SETTLE"
        kill -0 "$pid" 2>/dev/null || die "$bin exited on $config: $(tail -3 "$DIR/anycastd.log")"
        cp "/proc/$pid/smaps_rollup" "$DIR/rollup"
        rss=$(kib Rss "$DIR/rollup"); anon=$(kib Anonymous "$DIR/rollup")
        printf '%-28s %-24s %8d %8d %8d %8d %7d\n' "$(basename "$bin")" "$(basename "$config")" \
            "$rss" "$anon" "$((rss - anon))" "$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")" \
            "$(awk '/Threads/ { print $2 }' "/proc/$pid/status")"
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
done
