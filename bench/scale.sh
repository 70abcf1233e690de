#!/usr/bin/env bash
# Scale: anycastd with SERVICES services (default 1,000) x 3 checks (http_2xx, tcp_connect, exec
# /bin/true) at a 1 s interval, PEERS BGP neighbours (default 100, one BIRD 2 with that many
# `protocol bgp` on distinct addresses in its namespace) and SERVICES x 10 prefixes (default 10,000).
#
# Measures: time from start to every session Established and to every route in BIRD (PEERS x prefixes
# paths); then, over STEADY seconds (default 60): RSS (sampled every second), CPU of anycastd itself
# and of its exec children (/proc/PID/stat utime+stime, cutime+cstime), and check-schedule jitter
# from the server side: the local HTTP server stamps every request (one URL per service), so for each
# check the gap between two runs is compared with the 1 s interval (p50/p99/max of |gap - 1 s|), and
# each run with its ideal grid start + k x 1 s (lateness, which also shows drift).
#
# Needs root and the Debian packages iproute2, bird2, python3, and the anycastd binary
# ($ANYCASTD_BIN, default $CARGO_TARGET_DIR/release/anycastd). Bounded ($LIMIT s to converge, then
# STEADY s); cleans up namespaces, processes (by PID) and its directory on every exit.
#
#   sudo bench/scale.sh                       # SERVICES=1000 PEERS=100 STEADY=60
#   SERVICES=100 PEERS=10 STEADY=20 sudo -E bench/scale.sh
set -euo pipefail

SERVICES=${SERVICES:-1000}
PEERS=${PEERS:-100}
STEADY=${STEADY:-60}
LIMIT=${LIMIT:-300}
EXEC=${EXEC:-1}
. "$(dirname "$0")/lib.sh"
lab_init scale "acd-scale-$$" 0.5

need_root
need ip iproute2; need bird bird2; need birdc bird2; need python3 python3
need_anycastd
[ "$PEERS" -le 250 ] || die "PEERS must be at most 250"

lab_link s "" 198.19.2.254/16
for i in $(seq "$PEERS"); do
    ip -n "$NS_R" addr add "198.19.1.$i/16" dev vR
    ip -n "$NS_D" addr add "198.19.2.$i/16" dev vD
done

# Configs: BIRD with PEERS passive neighbours; anycastd with SERVICES services of 10 prefixes each.
python3 - "$DIR" "$SERVICES" "$PEERS" "$EXEC" <<'PY'
import sys
d, services, peers, use_exec = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
with open(f"{d}/bird.conf", "w") as f:
    f.write(f'log "{d}/bird.log" {{ warning, error, fatal }};\nrouter id 198.19.1.1;\nprotocol device {{ }}\n')
    for i in range(1, peers + 1):
        f.write(f"protocol bgp p{i} {{ local 198.19.1.{i} as 65000; neighbor 198.19.2.{i} as 65001; passive on; "
                f"ipv4 {{ import all; export none; }}; }}\n")
y = ["announcer:", "  router_id: 198.19.2.1", "  local_address: 198.19.2.1", "  local_asn: 65001", "  peers:"]
for i in range(1, peers + 1):
    y += [f"    - name: p{i}", f"      remote_address: 198.19.1.{i}", f"      local_address: 198.19.2.{i}",
          "      remote_asn: 65000", "      connect_retry: 1s"]
y.append("services:")
for s in range(services):
    y += [f"  - name: s{s}", "    check_interval: 1s", "    routes:"]
    for k in range(10):
        n = s * 10 + k
        y.append(f"      - 10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}/32")
    y += ["    checks:",
          "      - kind: http_2xx", "        spec:", f"          url: http://198.19.2.254:8080/s{s}",
          "          method: GET", "          tries: 1", "          interval: 100ms", "          timeout: 500ms",
          "      - kind: tcp_connect", "        spec:", "          address: 198.19.2.254:8081", "          timeout: 500ms"]
    if use_exec:
        y += ["      - kind: exec", "        spec:", "          command: [/bin/true]", "          timeout: 1s"]
y += ["metrics:", "  enabled: true", "  address: 127.0.0.1:9180"]
open(f"{d}/anycastd.yaml", "w").write("\n".join(y) + "\n")
PY

# The local servers: HTTP 200 on :8080 stamping every request by path, and a TCP acceptor on :8081.
cat > "$DIR/servers.py" <<'PY'
import asyncio, signal, sys, time
out = sys.argv[1]
stamps = []
async def http(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            now = time.time()
            parts = line.split()
            while True:
                h = await reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
            if len(parts) > 1:
                stamps.append((parts[1].decode(), now))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nok")
            await writer.drain()
            break
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()
async def tcp(reader, writer):
    writer.close()
async def main():
    await asyncio.start_server(http, "198.19.2.254", 8080, backlog=4096)
    await asyncio.start_server(tcp, "198.19.2.254", 8081, backlog=4096)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, stop.set)
    await stop.wait()
    with open(out, "w") as f:
        for path, t in stamps:
            f.write(f"{path} {t:.6f}\n")
    print("written", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
PY
ip netns exec "$NS_D" python3 "$DIR/servers.py" "$DIR/stamps.txt" >"$DIR/servers.log" 2>&1 & SRV=$!; PIDS+=($SRV)
for _ in $(seq 100); do
    ip netns exec "$NS_D" python3 -c 'import socket; [socket.create_connection(("198.19.2.254", p), 1).close() for p in (8080, 8081)]' 2>/dev/null && break
    sleep 0.1
done
bird_start; PIDS+=("$BIRD")
acd_check "$DIR/anycastd.yaml"

established() { birdc -s "$DIR/bird.ctl" show protocols | awk '$2 == "BGP" && $6 == "Established"' | wc -l; }
paths() { birdc -s "$DIR/bird.ctl" show route count | awk '/routes for/ { print $1; exit }'; }
want=$(( SERVICES * 10 * PEERS ))

start=$(now)
acd_start
t_est=""; t_all=""; peak_conv=0
while :; do
    kill -0 "$ACD" 2>/dev/null || die "anycastd exited: $(tail -5 "$DIR/anycastd.log")"
    el=$(echo "$(now) - $start" | bc)
    if [ "$(echo "$el > $LIMIT" | bc)" = 1 ]; then
        echo "scale: NOT CONVERGED after ${LIMIT}s: $(established)/$PEERS Established, $(paths)/$want paths; measuring the steady state anyway" >&2
        [ -n "$t_est" ] || t_est=-1
        t_all=-1; break
    fi
    if [ -z "$t_est" ] && [ "$(established)" = "$PEERS" ]; then t_est=$el; fi
    if [ -n "$t_est" ] && [ "$(paths)" = "$want" ]; then t_all=$el; break; fi
    sleep 0.2
done
rss_conv=$(awk '/VmHWM/ { print $2 }' "/proc/$ACD/status")

# Steady state.
clk=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15, $16 + $17, $15 }' "/proc/$ACD/stat"; }
read -r c0 k0 s0 < <(cpu); t0=$(now)
rss_samples=()
for _ in $(seq "$STEADY"); do
    sleep 1
    rss_samples+=("$(awk '/VmRSS/ { print $2 }' "/proc/$ACD/status")")
done
read -r c1 k1 s1 < <(cpu); t1=$(now)
fds=$(ls "/proc/$ACD/fd" | wc -l)
rss_split=$(awk '/^RssAnon|^RssFile|^RssShmem/ { printf "%s %.1f MiB ", $1, $2 / 1024 }' "/proc/$ACD/status")
zombies=$(ps -eo ppid=,stat= | awk -v p="$ACD" '$1 == p && $2 ~ /Z/' | wc -l)
threads=$(awk '/Threads/ { print $2 }' "/proc/$ACD/status")
metrics=$(ip netns exec "$NS_D" python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9180/metrics", timeout=5).read().decode())' 2>/dev/null || true)
kill -USR1 "$SRV"
for _ in $(seq 100); do grep -q written "$DIR/servers.log" 2>/dev/null && break; sleep 0.1; done
paths_end=$(paths); est_end=$(established)

python3 - "$DIR/stamps.txt" "$t0" "$t1" "$SERVICES" "$PEERS" "$EXEC" "$t_est" "$t_all" "$rss_conv" "$c0" "$c1" "$k0" "$k1" "$clk" "$fds" "$threads" "$paths_end" "$want" "$est_end" "$s0" "$s1" "${rss_samples[@]}" <<PY
import sys, collections
a = sys.argv
stamps_file, t0, t1 = a[1], float(a[2]), float(a[3])
services, peers, use_exec = int(a[4]), int(a[5]), a[6] == "1"
t_est, t_all, rss_conv = float(a[7]), float(a[8]), int(a[9])
c0, c1, k0, k1, clk = int(a[10]), int(a[11]), int(a[12]), int(a[13]), int(a[14])
fds, threads, paths_end, want, est_end = int(a[15]), int(a[16]), int(a[17]), int(a[18]), int(a[19])
s0, s1 = int(a[20]), int(a[21])
rss = [int(x) for x in a[22:]]
wall = t1 - t0
by = collections.defaultdict(list)
for line in open(stamps_file):
    p, t = line.split()
    t = float(t)
    if t0 <= t <= t1:
        by[p].append(t)
gaps, late = [], []
for ts in by.values():
    ts.sort()
    gaps += [abs((b - a_) - 1.0) * 1000 for a_, b in zip(ts, ts[1:])]
    late += [(t - ts[0] - round(t - ts[0])) * 1000 for t in ts]
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round((len(xs) - 1) * p)))] if xs else float("nan")
runs = sum(len(v) for v in by.values())
mib = lambda kib: kib / 1024
print(f"scale: {services} services x {3 if use_exec else 2} checks (http_2xx, tcp_connect{', exec /bin/true' if use_exec else ''}) at 1 s, {peers} peers, {services*10} prefixes ({want} paths in BIRD)")
print(f"start -> all {peers} sessions Established: {t_est:.1f} s (0.2 s polling); -> all {want} paths in BIRD: {t_all:.1f} s")
print(f"RSS: peak while converging {mib(rss_conv):.1f} MiB; steady min/max over {len(rss)} s: {mib(min(rss)):.1f} / {mib(max(rss)):.1f} MiB (goal < 32 MiB); at the end: $rss_split")
print(f"CPU over {wall:.0f} s steady: anycastd {100*(c1-c0)/clk/wall:.1f} % of one core ({100*(s1-s0)/clk/wall:.1f} % in the kernel); exec children {100*(k1-k0)/clk/wall:.1f} % (goal < 2 %)")
checks = services * (3 if use_exec else 2)
print(f"CPU per check run: {1e6*(c1-c0)/clk/wall/checks:.0f} us in anycastd ({1e6*(s1-s0)/clk/wall/checks:.0f} us of it in the kernel)")
print(f"HTTP check runs seen by the server in the window: {runs} ({runs/wall:.0f}/s, expected {services}/s)")
print(f"check period error |gap - 1 s|: p50 {pct(gaps,.5):.1f} ms, p99 {pct(gaps,.99):.1f} ms, max {max(gaps) if gaps else float('nan'):.1f} ms (goal p99 < 10 ms)")
print(f"lateness against each check's 1 s grid (server receive time): p50 {pct(late,.5):.1f} ms, p99 {pct(late,.99):.1f} ms, max {max(late) if late else float('nan'):.1f} ms")
print(f"at the end: {est_end}/{peers} Established, {paths_end}/{want} paths; {fds} open fds, {threads} threads, $zombies unreaped exec children")
PY
echo "$metrics" | awk '/^anycastd_check_runs_total/ { split($0, a, "result=\""); split(a[2], b, "\""); n[b[1]] += $NF } END { for (r in n) printf "check runs by result (metrics): %s %d\n", r, n[r] }'
