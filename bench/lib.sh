# Shared preamble of the bench scripts, sourced by them (not run on its own):
#
#   set -euo pipefail
#   . "$(dirname "$0")/lib.sh"
#   lab_init NAME TAG [GRACE]
#
# Gives ROOT (the checkout), OUT_DIR (where samples go, default target/bench), ANYCASTD_BIN (default $CARGO_TARGET_DIR/release/anycastd), die, need,
# need_root, need_anycastd, now; lab_init names the namespaces ($NS_R for the router, $NS_D for the
# daemons), makes the scratch directory $DIR and installs the cleanup; lab_link joins the namespaces;
# bird_start and acd_start start BIRD and anycastd in them. Everything a script starts for good goes
# into PIDS: the cleanup stops those by PID, then deletes the namespaces and $DIR (kept if KEEP is set).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ANYCASTD_BIN=${ANYCASTD_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/anycastd}
BENCH=${BENCH:-$(basename "$0" .sh)}
# Where the scripts leave their samples: a scratch directory, never the checkout's top level.
OUT_DIR=${OUT_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/bench}
mkdir -p "$OUT_DIR"

die() { echo "$BENCH: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: install the Debian package $2"; }
need_root() { [ "$(id -u)" = 0 ] || die "must run as root (${1:-network namespaces})"; }
need_anycastd() {
    [ -x "$ANYCASTD_BIN" ] || die "anycastd binary not found at $ANYCASTD_BIN (cargo build --release -p anycastd-actors, or set ANYCASTD_BIN)"
}
now() { date +%s.%N; }

# lab_init NAME TAG [GRACE]: NAME prefixes messages; the namespaces are $TAG-r and $TAG-d, the scratch
# directory /tmp/$TAG.XXXXXX. On exit the processes in PIDS get SIGTERM and GRACE seconds (default
# none) before SIGKILL. A script that holds a process outside PIDS (one it restarts) stops it in a
# function `cleanup_first`, which runs before the rest.
lab_init() {
    BENCH=$1
    TAG=$2
    GRACE=${3:-0}
    NS_R="$TAG-r"
    NS_D="$TAG-d"
    DIR=$(mktemp -d "/tmp/$TAG.XXXXXX")
    PIDS=()
    trap lab_cleanup EXIT
    trap 'exit 130' INT TERM
}

lab_cleanup() {
    local pid
    if declare -F cleanup_first >/dev/null; then cleanup_first; fi
    if [ "$GRACE" != 0 ]; then
        for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
        sleep "$GRACE"
    fi
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    ip netns del "$NS_R" 2>/dev/null || true
    ip netns del "$NS_D" 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "kept $DIR" >&2; else rm -rf "$DIR"; fi
}

# stop_pid PID: SIGKILL and reap one process of ours (nothing if PID is empty or gone).
stop_pid() {
    if [ -n "$1" ]; then
        kill -KILL "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
    fi
}

# lab_link LETTER [ROUTER_ADDR [DAEMON_ADDR...]]: both namespaces, joined by a veth pair (vR in $NS_R,
# vD in $NS_D; LETTER and the PID name the pair while it is still in the host namespace), ROUTER_ADDR
# on vR, every DAEMON_ADDR on vD, lo and both ends up.
lab_link() {
    local letter=$1 router=${2:-} ns addr
    shift
    if [ $# -gt 0 ]; then shift; fi
    ip netns add "$NS_R"; ip netns add "$NS_D"
    ip link add "$letter$$r" type veth peer name "$letter$$d"
    ip link set "$letter$$r" netns "$NS_R" name vR; ip link set "$letter$$d" netns "$NS_D" name vD
    if [ -n "$router" ]; then ip -n "$NS_R" addr add "$router" dev vR; fi
    for addr in "$@"; do ip -n "$NS_D" addr add "$addr" dev vD; done
    for ns in "$NS_R" "$NS_D"; do ip -n "$ns" link set lo up; done
    ip -n "$NS_R" link set vR up; ip -n "$NS_D" link set vD up
}

# bird_wait CTL: waits up to 10 s for the BIRD behind control socket CTL to answer.
bird_wait() {
    local i
    for i in $(seq 200); do
        birdc -s "$1" show status >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    die "BIRD did not answer on $1"
}

# bird_start: BIRD in $NS_R with $DIR/bird.conf and control socket $DIR/bird.ctl, output appended to
# $DIR/bird.out; sets BIRD to its PID (the caller decides whether it goes into PIDS) and waits for it.
bird_start() {
    ip netns exec "$NS_R" bird -f -c "$DIR/bird.conf" -s "$DIR/bird.ctl" >>"$DIR/bird.out" 2>&1 &
    BIRD=$!
    bird_wait "$DIR/bird.ctl"
}

# acd_check FILE: anycastd --check-config FILE, or die.
acd_check() {
    "$ANYCASTD_BIN" --check-config "$1" >/dev/null || die "anycastd rejected the generated config $(basename "$1")"
}

# acd_start [NAME=VALUE...]: anycastd in $NS_D with $DIR/anycastd.yaml, LOG_LEVEL=warn unless given,
# stderr and stdout to $DIR/anycastd.log; sets ACD to its PID and adds it to PIDS.
acd_start() {
    ip netns exec "$NS_D" env LOG_LEVEL=warn "$@" "$ANYCASTD_BIN" --config "$DIR/anycastd.yaml" >"$DIR/anycastd.log" 2>&1 &
    ACD=$!
    PIDS+=("$ACD")
}
