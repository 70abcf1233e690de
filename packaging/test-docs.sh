#!/bin/sh
# Runs the README's and the operator documentation's commands against a real daemon, and checks that
# every line of an `sh` block in README.md, docs/operator-guide.md, docs/container.md and
# docs/examples/*.md is run by this script, packaging/test-deb.sh, packaging/test-container.sh or
# .ci/run (the README's test command).
#
#   packaging/test-docs.sh                    # uses the debug binary (cargo build)
#   ANYCASTD_BIN=path packaging/test-docs.sh
#
# Needs root (it runs the daemon in its own network namespace, so the documented 127.0.0.1:9090 is
# free whatever else runs on the host), iproute2, curl, python3-jsonschema and python3-yaml.
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)

fail() { echo "test-docs: FAIL: $*" >&2; exit 1; }
. packaging/keyed-copy.sh
step() { echo "test-docs: $*"; }

step "every documented command is run by a script"
scripts="packaging/test-deb.sh packaging/test-docs.sh packaging/test-container.sh .ci/run"
missing=0
for page in README.md docs/operator-guide.md docs/container.md docs/examples/*.md; do
    [ -f "$page" ] || fail "$page is missing"
    awk '/^```sh$/ { on = 1; next } /^```/ { on = 0 } on && NF' "$page" > "${TMPDIR:-/tmp}/acd-docs-lines.$$"
    while IFS= read -r line; do
        found=no
        for script in $scripts; do
            if sed 's/^[[:space:]]*//' "$script" | grep -qxF -- "$line"; then found=yes; fi
        done
        if [ "$found" = no ]; then
            echo "test-docs: $page: not run by any script: $line" >&2
            missing=$((missing + 1))
        fi
    done < "${TMPDIR:-/tmp}/acd-docs-lines.$$"
    rm -f "${TMPDIR:-/tmp}/acd-docs-lines.$$"
done
[ "$missing" = 0 ] || fail "$missing documented commands are not exercised"

[ "$(id -u)" = 0 ] || fail "must run as root (it creates a network namespace)"
for tool in ip curl; do
    command -v "$tool" > /dev/null || fail "$tool is missing (apt-get install -y iproute2 curl)"
done
if [ -z "${ANYCASTD_BIN:-}" ]; then
    cargo build --locked -p anycastd-actors
    ANYCASTD_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/anycastd"
fi
[ -x "$ANYCASTD_BIN" ] || fail "no anycastd at $ANYCASTD_BIN"

ns="acd-packaging-docs-$$"
work=$(mktemp -d "${TMPDIR:-/tmp}/acd-docs.XXXXXX")
daemon_pid=
LAB="acd-packaging-lab-$$"
export LAB
cleanup() {
    status=$?
    if [ -n "${quick_pid:-}" ]; then env kill -s TERM -- "-$quick_pid" 2> /dev/null || true; fi
    if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2> /dev/null || true; wait "$daemon_pid" 2> /dev/null || true; fi
    if [ -s "/run/$LAB.pid" ]; then kill "$(cat "/run/$LAB.pid")" 2> /dev/null || true; fi
    rm -f "/run/$LAB.pid" "/run/$LAB.ctl"
    ip netns delete "$LAB" 2> /dev/null || true
    ip netns delete "$ns" 2> /dev/null || true
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT INT TERM
mkdir "$work/bin"
ln -s "$ANYCASTD_BIN" "$work/bin/anycastd"
PATH="$work/bin:$PATH"
export PATH

step "the schema the guide tells editors to use"
cd "$work"
anycastd --print-config-schema > anycastd.schema.json
cd "$repo"
cmp "$work/anycastd.schema.json" packaging/anycastd.schema.json || fail "printed schema differs"

step "an independent JSON Schema validator accepts every example and the packaged default"
/usr/bin/python3 -c 'import jsonschema, yaml' 2> /dev/null \
    || fail "python3-jsonschema and python3-yaml are missing (apt-get install -y python3-jsonschema python3-yaml)"
/usr/bin/python3 packaging/validate-with-schema.py config-examples/* packaging/deb/config.yaml

step "every example page's configuration validates"
for example in config-examples/*; do
    case "$example" in
        *.json) page="docs/examples/$(basename "${example%.*}")-json.md" ;;
        *) page="docs/examples/$(basename "${example%.*}").md" ;;
    esac
    [ -f "$page" ] || fail "$example has no page ($page)"
    checked=$(keyed_copy "$example" "$work")
    anycastd --check-config "$checked" > /dev/null
done

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" addr add 127.0.0.2/8 dev lo 2> /dev/null || true
in_ns() { ip netns exec "$ns" sh -c "$1"; }

step "README: the quick start's command, as written, in network namespace $ns"
# The build dependencies are installed here, where the mirrors can be reached; inside the namespace
# the script then finds them all and does nothing.
scripts/install-build-deps
cat > "$work/quick-start.sh" <<'QUICK'
scripts/install-build-deps && cargo run -- --config config-examples/minimal.yaml
QUICK
# Its own process group, so that a Ctrl-C (SIGINT to the group) reaches cargo and the daemon.
ip netns exec "$ns" setsid sh "$work/quick-start.sh" > "$work/quick-start.log" 2>&1 &
quick_pid=$!
daemon_pid=$quick_pid
tries=0
until in_ns 'curl -s 127.0.0.1:9090/metrics | grep ^anycastd_' > "$work/quick-metrics.txt" 2> /dev/null \
    && grep -q '^anycastd_service_up{service="self"} 1' "$work/quick-metrics.txt" \
    && grep -q '^anycastd_route_announced{prefix="192.0.2.1/32"} 1' "$work/quick-metrics.txt"; do
    tries=$((tries + 1))
    [ "$tries" -lt 600 ] || { cat "$work/quick-start.log" >&2; fail "the quick start's daemon never showed the service up"; }
    kill -0 "$quick_pid" 2> /dev/null || { cat "$work/quick-start.log" >&2; fail "the quick start's command exited"; }
    sleep 0.5
done
grep '^anycastd_service_up\|^anycastd_route_announced' "$work/quick-metrics.txt"
# procps' kill: dash's builtin cannot signal a process group.
env kill -s INT -- "-$quick_pid"
tries=0
while kill -0 "$quick_pid" 2> /dev/null; do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || { cat "$work/quick-start.log" >&2; fail "Ctrl-C did not stop the quick start's daemon"; }
    sleep 0.2
done
wait "$quick_pid" 2> /dev/null || true
daemon_pid=
quick_pid=
grep -q "stopped" "$work/quick-start.log" || { cat "$work/quick-start.log" >&2; fail "the daemon did not stop cleanly on Ctrl-C"; }

step "a daemon in network namespace $ns on the minimal configuration"
CONFIG="$repo/config-examples/minimal.yaml"
ip netns exec "$ns" env LOG_LEVEL=info anycastd --config "$CONFIG" 2> "$work/daemon.log" &
daemon_pid=$!
PID=$daemon_pid

tries=0
until in_ns 'curl -fsS http://127.0.0.1:9090/metrics 2> /dev/null | grep "^anycastd_service_up" | grep -q " 1$"'; do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || { cat "$work/daemon.log" >&2; fail "the service never came up"; }
    kill -0 "$PID" 2> /dev/null || { cat "$work/daemon.log" >&2; fail "the daemon exited"; }
    sleep 0.2
done

step "section 7: metrics and /healthz"
in_ns "$(cat <<'CMDS'
set -e
curl -fsS http://127.0.0.1:9090/metrics | grep '^anycastd_service_up'
curl -fsS http://127.0.0.1:9090/healthz
CMDS
)"
echo

step "section 4: validate, then reload"
anycastd --check-config "$CONFIG" && kill -HUP "$PID"
tries=0
until in_ns 'curl -fsS http://127.0.0.1:9090/metrics | grep -q "^anycastd_config_reload_total{result=\"success\"} 1"'; do
    tries=$((tries + 1))
    [ "$tries" -lt 50 ] || { cat "$work/daemon.log" >&2; fail "the reload was not counted"; }
    sleep 0.2
done

step "section 4: a broken file at reload changes nothing"
cp "$CONFIG" "$work/config.yaml"
CONFIG="$work/config.yaml"
kill "$PID"; wait "$PID" || fail "SIGTERM did not exit 0"
ip netns exec "$ns" env LOG_LEVEL=info anycastd --config "$CONFIG" 2> "$work/daemon.log" &
daemon_pid=$!
PID=$daemon_pid
tries=0
until in_ns 'curl -fsS http://127.0.0.1:9090/healthz > /dev/null 2>&1'; do
    tries=$((tries + 1)); [ "$tries" -lt 100 ] || fail "second daemon did not serve /healthz"; sleep 0.2
done
echo "services: [" >> "$CONFIG"
if anycastd --check-config "$CONFIG" 2> /dev/null; then fail "a broken file validated"; fi
kill -HUP "$PID"
tries=0
until in_ns 'curl -fsS http://127.0.0.1:9090/metrics | grep -q "^anycastd_config_last_reload_success 0"'; do
    tries=$((tries + 1)); [ "$tries" -lt 50 ] || fail "the failed reload was not reported"; sleep 0.2
done
kill -0 "$PID" || fail "a broken reload stopped the daemon"
in_ns 'curl -fsS http://127.0.0.1:9090/healthz' > /dev/null || fail "/healthz after a broken reload"

step "section 6: SIGTERM exits 0"
kill -TERM "$PID"
wait "$PID" || fail "SIGTERM did not exit 0"
daemon_pid=

step "section 9: the lab router sees the route appear and leave"
for tool in bird birdc; do
    command -v "$tool" > /dev/null || fail "$tool is missing (apt-get install -y bird2)"
done
cd "$repo"
[ -x target/debug/anycastd ] || fail "target/debug/anycastd is missing: the guide's lab runs cargo build's binary"
(
    set -e
    LAB=${LAB:-anycastd-lab}
    ip netns add "$LAB"
    ip -n "$LAB" link set lo up
    ip netns exec "$LAB" bird -c docs/lab/bird.conf -s "/run/$LAB.ctl" -P "/run/$LAB.pid"
    ip netns exec "$LAB" target/debug/anycastd --config config-examples/minimal.yaml &
    ANYCASTD=$!
    tries=0
    until birdc -s "/run/$LAB.ctl" show route 2> /dev/null | grep -q "192.0.2.1/32"; do
        tries=$((tries + 1))
        [ "$tries" -lt 150 ] || { birdc -s "/run/$LAB.ctl" show protocols all anycastd >&2; exit 1; }
        sleep 0.2
    done
    sleep 5
    birdc -s "/run/$LAB.ctl" show route all
    birdc -s "/run/$LAB.ctl" show route all > "$work/lab-route.txt"
    grep -q "BGP.as_path: 65001" "$work/lab-route.txt"
    grep -q "BGP.next_hop: 127.0.0.1" "$work/lab-route.txt"
    kill "$ANYCASTD"
    wait "$ANYCASTD"
    birdc -s "/run/$LAB.ctl" show route
    if birdc -s "/run/$LAB.ctl" show route | grep -q "192.0.2.1/32"; then exit 1; fi
    birdc -s "/run/$LAB.ctl" down
    ip netns del "$LAB"
) || fail "the lab router did not see the route appear and leave"

step "ok"
