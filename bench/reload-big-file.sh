#!/usr/bin/env bash
# A reload of a large invalid configuration: how long it takes to be refused, the daemon's peak RSS,
# and whether the memory comes back. anycastd runs with one passing exec check and metrics on
# 127.0.0.1:$PORT; the file is then replaced by one with ROUTES_MIB MiB of routes (default 15, under
# the 16 MiB limit) and one unknown key, and the daemon gets SIGHUP. Loopback only, no root.
#
#   ANYCASTD_BIN=target/release/anycastd bench/reload-big-file.sh
set -euo pipefail

BIN=${ANYCASTD_BIN:-${CARGO_TARGET_DIR:-target}/release/anycastd}
ROUTES_MIB=${ROUTES_MIB:-15}
PORT=${PORT:-19181}
DIR=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT

config() {
    cat <<YAML
announcer:
  router_id: 192.0.2.254
  local_address: 127.0.0.1
  local_asn: 65001
  routes:
    - 192.0.2.1/32
$1  peers:
    - name: r1
      remote_address: 127.0.0.2
      remote_asn: 65000
services:
  - name: s
    check_interval: 1s
    checks:
      - kind: exec
        spec:
          command: [/bin/true]
metrics:
  enabled: true
  address: 127.0.0.1:$PORT
$2
YAML
}

config "" "" > "$DIR/c.yaml"
python3 - "$ROUTES_MIB" > "$DIR/routes" <<'PY'
import sys
limit = int(sys.argv[1]) * 1024 * 1024
size = k = 0
out = []
while size < limit:
    line = "    - 10.%d.%d.%d/32\n" % ((k >> 16) & 255, (k >> 8) & 255, k & 255)
    out.append(line); size += len(line); k += 1
sys.stdout.write("".join(out))
PY
config "$(cat "$DIR/routes")
" "bogus_key: 1" > "$DIR/big.yaml"

"$BIN" --config "$DIR/c.yaml" 2> "$DIR/log" &
pid=$!
sleep 3
rss() { awk '/VmRSS|VmHWM/ { printf "%s %s kB  ", $1, $2 } END { print "" }' "/proc/$pid/status"; }
echo "file: $(stat -c %s "$DIR/big.yaml") bytes, $(wc -l < "$DIR/routes") routes"
echo "before the reload: $(rss)"
cp "$DIR/big.yaml" "$DIR/c.yaml"
start=$(date +%s.%N)
kill -HUP "$pid"
healthz_fail=0
while ! grep -q "reload failed" "$DIR/log"; do
    curl -fsS -m 2 "http://127.0.0.1:$PORT/healthz" > /dev/null || healthz_fail=$((healthz_fail + 1))
    sleep 0.2
done
echo "refused after $(echo "$(date +%s.%N) - $start" | bc) s; /healthz failures meanwhile: $healthz_fail"
sleep 1
echo "1 s later: $(rss)"
kill -TERM "$pid"; wait "$pid"; pid=
