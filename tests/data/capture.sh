#!/usr/bin/env bash
# Re-captures the BGP messages in tests/data/bird/ and tests/data/gobgp/ from real BIRD 2 and gobgpd on
# loopback (see tests/data/README.md). Bounded in time; stops only the daemons it started, by PID.
# Usage: tests/data/capture.sh [bird|gobgp]...   (default: both). Needs: bird2, gobgpd, python3.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d /tmp/acd-codec-capture.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    rm -rf "$scratch"
}
trap cleanup EXIT

need() { command -v "$1" >/dev/null || { echo "capture.sh: $1 not found (install Debian package $2)" >&2; exit 1; }; }

wait_for() { # file, seconds
    for _ in $(seq $(($2 * 10))); do [ -e "$1" ] && return 0; sleep 0.1; done
    echo "capture.sh: timed out waiting for $1" >&2
    return 1
}

store() { # source dir, target dir, daemon description
    mkdir -p "$2"
    rm -f "$2"/*.hex
    for f in "$1"/*.hex; do
        { echo "# $3, captured $(date -u +%Y-%m-%d) by tests/data/capture.sh"; cat "$f"; } > "$2/$(basename "$f")"
    done
    ls "$2"
}

capture_bird() {
    need bird bird2
    local dir="$scratch/bird" ctl="$scratch/bird/bird.ctl"
    mkdir -p "$dir/out"
    cat > "$dir/bird.conf" <<CONF
log "$dir/bird.log" all;
router id 127.0.0.181;
protocol device { }
protocol static static4 {
  ipv4;
  route 198.51.100.0/24 unreachable;
  route 203.0.113.0/24 unreachable;
}
protocol static static6 {
  ipv6;
  route 2001:db8:100::/48 unreachable;
}
filter tag_routes {
  bgp_community.add((65000, 100));
  bgp_large_community.add((65000, 1, 2));
  bgp_med = 50;
  accept;
}
protocol bgp recorder {
  local 127.0.0.181 port 1891 as 65000;
  strict bind yes;
  neighbor 127.0.0.180 as 65001;
  passive on;
  multihop;
  hold time 90;
  graceful restart on;
  long lived graceful restart on;
  ipv4 { import none; export filter tag_routes; };
  ipv6 { import none; export filter tag_routes; next hop address 2001:db8::181; };
}
CONF
    bird -p -c "$dir/bird.conf"
    bird -f -c "$dir/bird.conf" -s "$ctl" -P "$dir/bird.pid" &
    pids+=($!)
    wait_for "$ctl" 10
    timeout 60 python3 "$here/recorder.py" --peer 127.0.0.181 --port 1891 --local 127.0.0.180 \
        --out "$dir/out" --deadline 45 &
    local recorder=$!
    pids+=($recorder)
    wait_for "$dir/out/ready" 30
    birdc -s "$ctl" disable recorder \"maintenance\"
    wait "$recorder"
    store "$dir/out" "$here/bird" "BIRD $(bird --version 2>&1 | awk '{print $3}')"
}

capture_gobgp() {
    need gobgpd gobgpd
    local dir="$scratch/gobgp" api=(-u 127.0.0.1 -p 50182)
    mkdir -p "$dir/out"
    cat > "$dir/gobgpd.toml" <<CONF
[global.config]
  as = 65000
  router-id = "127.0.0.182"
  port = 1892
  local-address-list = ["127.0.0.182"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.0.183"
    peer-as = 65001
  [neighbors.transport.config]
    passive-mode = true
    local-address = "127.0.0.182"
  [neighbors.ebgp-multihop.config]
    enabled = true
    multihop-ttl = 2
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 120
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
CONF
    gobgpd -f "$dir/gobgpd.toml" -t toml -p --api-hosts 127.0.0.1:50182 --pprof-disable > "$dir/gobgpd.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do gobgp "${api[@]}" global >/dev/null 2>&1 && break; sleep 0.1; done
    gobgp "${api[@]}" global rib add -a ipv4 198.51.100.0/24 nexthop 192.0.2.182 med 50 \
        community 65000:100 large-community 65000:1:2
    gobgp "${api[@]}" global rib add -a ipv6 2001:db8:100::/48 nexthop 2001:db8::182 community 65000:100
    timeout 60 python3 "$here/recorder.py" --peer 127.0.0.182 --port 1892 --local 127.0.0.183 \
        --out "$dir/out" --deadline 45 &
    local recorder=$!
    pids+=($recorder)
    wait_for "$dir/out/ready" 30
    gobgp "${api[@]}" neighbor 127.0.0.183 shutdown --reason "maintenance"
    wait "$recorder"
    store "$dir/out" "$here/gobgp" "GoBGP $(gobgpd --version 2>&1 | awk '{print $3}')"
}

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(bird gobgp)
for target in "${targets[@]}"; do
    case "$target" in
        bird) capture_bird ;;
        gobgp) capture_gobgp ;;
        *) echo "capture.sh: unknown target $target" >&2; exit 2 ;;
    esac
done
