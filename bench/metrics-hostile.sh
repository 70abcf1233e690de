#!/usr/bin/env bash
# Hostile metrics clients must not affect BGP or checks. anycastd (metrics on 198.18.7.2:9180, one
# http_2xx check at 1 s, hold time 3 s) announces to BIRD 2; for ATTACK seconds (default 30) a Python
# attacker opens IDLE idle connections (default 2,000) to the metrics port, sends HUGE requests with
# a 1 MiB header (default 50) and trickles SLOW requests one byte a second (default 200). Meanwhile the
# script checks that BIRD's session keeps its uptime, that the HTTP server sees the check every second
# (largest gap between two check requests), and how long a well-behaved GET /metrics takes.
#
# Needs root and the Debian packages iproute2, bird2, python3, curl, and the anycastd binary
# ($ANYCASTD_BIN, default $CARGO_TARGET_DIR/release/anycastd). Bounded; cleans up by PID on exit.
#
#   sudo bench/metrics-hostile.sh
set -euo pipefail

ATTACK=${ATTACK:-30}
IDLE=${IDLE:-2000}
HUGE=${HUGE:-50}
SLOW=${SLOW:-200}
. "$(dirname "$0")/lib.sh"
lab_init metrics-hostile "acd-mh-$$"

need_root
need ip iproute2; need bird bird2; need birdc bird2; need python3 python3; need curl curl
need_anycastd

lab_link m 198.18.7.1/24 198.18.7.2/24

cat > "$DIR/bird.conf" <<BIRD
log "$DIR/bird.log" { warning, error, fatal };
router id 198.18.7.1;
protocol device { }
protocol bgp acd { local 198.18.7.1 as 65000; neighbor 198.18.7.2 as 65001; passive on; hold time 3; ipv4 { import all; export none; }; }
BIRD
bird_start; PIDS+=("$BIRD")

# The checked service: stamps every request.
cat > "$DIR/web.py" <<'PY'
import http.server, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sys.argv[1], "a") as f:
            f.write(f"{time.time():.6f}\n")
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("198.18.7.2", 8080), H).serve_forever()
PY
ip netns exec "$NS_D" python3 "$DIR/web.py" "$DIR/stamps.txt" >"$DIR/web.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do ip netns exec "$NS_D" curl -sf -o /dev/null -m 1 http://198.18.7.2:8080/warmup && break; sleep 0.1; done

cat > "$DIR/anycastd.yaml" <<YAML
announcer:
  router_id: 198.18.7.2
  local_address: 198.18.7.2
  local_asn: 65001
  routes: [192.0.2.7/32]
  peers:
    - name: bird
      remote_address: 198.18.7.1
      remote_asn: 65000
      hold_time: 3
services:
  - name: web
    check_interval: 1s
    checks:
      - kind: http_2xx
        spec:
          url: http://198.18.7.2:8080/
          method: GET
          tries: 1
          interval: 100ms
          timeout: 500ms
metrics:
  enabled: true
  address: 198.18.7.2:9180
YAML
acd_start

state() { birdc -s "$DIR/bird.ctl" show protocols acd | awk '$1 == "acd" { print $6 }'; }
since() { birdc -s "$DIR/bird.ctl" show protocols acd | awk '$1 == "acd" { print $5 }'; }
for _ in $(seq 300); do [ "$(state)" = Established ] && birdc -s "$DIR/bird.ctl" show route 192.0.2.7/32 | grep -q 192.0.2.7 && break; sleep 0.1; done
[ "$(state)" = Established ] || die "session not Established: $(tail -5 "$DIR/anycastd.log")"
since0=$(since)
scrape() { ip netns exec "$NS_D" curl -s -o /dev/null -m 10 -w '%{http_code} %{time_total}' http://198.18.7.2:9180/metrics || echo "000 10"; }
before=$(scrape); rss_before=$(awk '/VmRSS/ { print $2 }' "/proc/$ACD/status"); fds_before=$(ls "/proc/$ACD/fd" | wc -l)

cat > "$DIR/attack.py" <<'PY'
import socket, sys, threading, time
host, port, seconds, idle, huge, slow = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
end = time.time() + seconds
held, refused = [], 0
for _ in range(idle):
    try:
        held.append(socket.create_connection((host, port), timeout=2))
    except OSError:
        refused += 1
def huge_request():
    while time.time() < end:
        try:
            s = socket.create_connection((host, port), timeout=5)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
            s.recv(4096)
            s.close()
        except OSError:
            time.sleep(0.05)
def slow_request():
    try:
        s = socket.create_connection((host, port), timeout=5)
        for b in b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"b" * 1000:
            if time.time() > end:
                break
            s.send(bytes([b]))
            time.sleep(1)
    except OSError:
        pass
threads = [threading.Thread(target=huge_request) for _ in range(huge)] + [threading.Thread(target=slow_request) for _ in range(slow)]
for t in threads:
    t.start()
for t in threads:
    t.join()
still_open = 0
for s in held:
    try:
        s.setblocking(False)
        try:
            still_open += 1 if s.recv(1) != b"" else 0
        except BlockingIOError:
            still_open += 1
    except OSError:
        pass
print(f"attack: {len(held)} idle connections opened ({refused} refused), {still_open} still open after {seconds:.0f} s; {huge} x 1 MiB-header loops, {slow} slow-loris clients")
PY
t_attack=$(date +%s.%N)
ip netns exec "$NS_D" python3 "$DIR/attack.py" 198.18.7.2 9180 "$ATTACK" "$IDLE" "$HUGE" "$SLOW" >"$DIR/attack.out" 2>&1 & ATK=$!; PIDS+=($ATK)
sleep 3
during=$(scrape); fds_during=$(ls "/proc/$ACD/fd" | wc -l); rss_during=$(awk '/VmRSS/ { print $2 }' "/proc/$ACD/status")
worst_state=Established
while kill -0 "$ATK" 2>/dev/null; do
    s=$(state); [ "$s" = Established ] || worst_state=$s
    sleep 0.5
done
wait "$ATK" || true
t_end=$(date +%s.%N)
sleep 5
after=$(scrape); since1=$(since)
kill -0 "$ACD" 2>/dev/null || die "anycastd exited: $(tail -5 "$DIR/anycastd.log")"
fds_after=$(ls "/proc/$ACD/fd" | wc -l); rss_after=$(awk '/VmRSS/ { print $2 }' "/proc/$ACD/status")
cat "$DIR/attack.out"
python3 - "$DIR/stamps.txt" "$t_attack" "$t_end" <<'PY'
import sys
t0, t1 = float(sys.argv[2]), float(sys.argv[3])
ts = sorted(float(l) for l in open(sys.argv[1]) if l.strip() and t0 - 1 <= float(l) <= t1 + 1)
gaps = [b - a for a, b in zip(ts, ts[1:])]
print(f"checks during the attack: {len(ts)} runs in {t1 - t0:.0f} s; largest gap {max(gaps) * 1000:.0f} ms, smallest {min(gaps) * 1000:.0f} ms (interval 1000 ms)")
PY
printf 'GET /metrics (code, seconds): before %s; during %s; after %s\n' "$before" "$during" "$after"
printf 'anycastd fds: before %d, during %d, 5 s after %d; RSS before %d KiB, during %d KiB, 5 s after %d KiB\n' "$fds_before" "$fds_during" "$fds_after" "$rss_before" "$rss_during" "$rss_after"
printf 'BGP session to BIRD: %s throughout, uptime %s\n' "$worst_state" "$([ "$since0" = "$since1" ] && echo kept || echo "RESET ($since0 -> $since1)")"
[ "$worst_state" = Established ] && [ "$since0" = "$since1" ] && echo "metrics-hostile: PASS (BGP unaffected)" || { echo "metrics-hostile: FAIL"; exit 1; }
