#!/bin/sh
# Builds the image from the Containerfile, runs it unprivileged in a network namespace of its own,
# runs its HEALTHCHECK, asks it `anycastd ctl status` through podman exec, drains it and checks that
# the drain survives a restart and a new container with the state file on a volume, stops it with
# SIGTERM (exit 0 after withdrawing), then plays the sidecar pod example, waits until anycastd sees
# the web container healthy, and checks that a drain survives the pod's replacement.
#
#   packaging/test-container.sh
#
# Base images come from RUST_IMAGE and RUNTIME_IMAGE (default: the local bases that
# packaging/podman/local-bases.sh makes when they are missing); the pod's web container from
# WEB_IMAGE (default: the local nginx image local-bases.sh makes). Needs root, podman, iproute2.
# A host whose cgroup layout crun refuses, or whose hard limits are below podman's defaults, needs
# CONTAINERS_CONF naming a file with `runtime = "runc"` (docs/container.md).
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)

fail() { echo "test-container: FAIL: $*" >&2; exit 1; }
step() { echo "test-container: $*"; }

[ "$(id -u)" = 0 ] || fail "must run as root (rootful podman, network namespaces)"
command -v podman > /dev/null || fail "podman is missing (apt-get install -y podman)"
command -v ip > /dev/null || fail "ip is missing (apt-get install -y iproute2)"

# Unless CONTAINERS_CONF names a file: podman's default limits exceed the hard limits of some hosts
# (and `kube play` takes no --ulimit), and crun refuses a hybrid cgroup layout (v1 controllers
# beside a v2 mount), where runc works.
generated_conf=
if [ -z "${CONTAINERS_CONF:-}" ]; then
    generated_conf=$(mktemp "${TMPDIR:-/tmp}/acd-containers.XXXXXX")
    trap 'rm -f "$generated_conf"' EXIT INT TERM
    printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=20000:20000"]\n' \
        "$(ulimit -Hn)" "$(ulimit -Hn)" > "$generated_conf"
    if [ -d /sys/fs/cgroup/unified ]; then
        command -v runc > /dev/null || fail "runc is missing (apt-get install -y runc): crun refuses this host's hybrid cgroup layout"
        printf '[engine]\nruntime = "runc"\n' >> "$generated_conf"
    fi
    CONTAINERS_CONF=$generated_conf
    export CONTAINERS_CONF
fi

RUST_IMAGE=${RUST_IMAGE:-localhost/acd-packaging-rust:1-bookworm}
RUNTIME_IMAGE=${RUNTIME_IMAGE:-localhost/acd-packaging-debian:bookworm-slim}
WEB_IMAGE=${WEB_IMAGE:-localhost/acd-packaging-web:bookworm}
case "$RUST_IMAGE$RUNTIME_IMAGE$WEB_IMAGE" in
    *localhost/acd-packaging-*)
        packaging/podman/local-bases.sh
        ;;
esac
# Hosts whose hard limits are below podman's defaults need them lowered explicitly.
limits="--ulimit nofile=$(ulimit -Hn):$(ulimit -Hn) --ulimit nproc=20000:20000"

ns="acd-packaging-ctr-$$"
work=$(mktemp -d "${TMPDIR:-/tmp}/acd-ctr.XXXXXX")
cleanup() {
    status=$?
    podman rm -f -t 0 acd-packaging-smoke > /dev/null 2>&1 || true
    podman volume rm -f acd-packaging-state > /dev/null 2>&1 || true
    if [ -f "$work/pod.yaml" ]; then nsenter --net="/run/netns/$ns" podman kube play --down "$work/pod.yaml" > /dev/null 2>&1 || true; fi
    podman volume rm -f anycastd-state anycastd-config web-config > /dev/null 2>&1 || true
    ip netns delete "$ns" 2> /dev/null || true
    rm -rf "$work"
    [ -z "$generated_conf" ] || rm -f "$generated_conf"
    exit $status
}
trap cleanup EXIT INT TERM
ip netns add "$ns"
ip -n "$ns" link set lo up

step "build"
podman build --format docker $limits --build-arg RUST_IMAGE="$RUST_IMAGE" --build-arg RUNTIME_IMAGE="$RUNTIME_IMAGE" -t localhost/anycastd:latest -f Containerfile .
[ "$(podman image inspect localhost/anycastd:latest --format '{{.Config.User}}')" = 10001:10001 ] || fail "image user"
[ "$(podman image inspect localhost/anycastd:latest --format '{{.Config.StopSignal}}')" = SIGTERM ] || fail "stop signal"
podman image inspect localhost/anycastd:latest --format '{{index .Config.Labels "org.opencontainers.image.title"}}' | grep -qx anycastd || fail "OCI labels"
podman image inspect localhost/anycastd:latest --format '{{.Architecture}}'

# Waits until the container's HEALTHCHECK passes.
healthy() {
    tries=0
    until podman healthcheck run "$1" > /dev/null 2>&1; do
        tries=$((tries + 1))
        [ "$tries" -lt 60 ] || { podman logs "$1" >&2; fail "HEALTHCHECK of $1 never passed"; }
        sleep 0.5
    done
}
# Runs the smoke container: the example config, unprivileged, the state file on a volume.
smoke() {
    podman run -d $limits --name acd-packaging-smoke --network "ns:/run/netns/$ns" \
        -v acd-packaging-state:/var/lib/anycastd localhost/anycastd:latest > /dev/null
    healthy acd-packaging-smoke
}

step "run: the example config, unprivileged, in $ns"
podman volume rm -f acd-packaging-state > /dev/null 2>&1 || true
smoke
podman healthcheck run acd-packaging-smoke
[ "$(podman exec acd-packaging-smoke id -u)" = 10001 ] || fail "runs as root"
podman exec acd-packaging-smoke anycastd --check-config /config.yaml

step "ctl: status and a drain that survives a restart and a new container"
podman exec acd-packaging-smoke anycastd ctl status
podman exec acd-packaging-smoke anycastd ctl status | grep -q "lab-router" || fail "ctl status shows no peer"
podman exec acd-packaging-smoke anycastd ctl drain --reason "container maintenance"
podman restart -t 30 acd-packaging-smoke > /dev/null
healthy acd-packaging-smoke
podman exec acd-packaging-smoke anycastd ctl status | grep -q "container maintenance" || fail "the drain did not survive a restart"
podman rm -f -t 30 acd-packaging-smoke > /dev/null
smoke
podman exec acd-packaging-smoke anycastd ctl status | grep -q "container maintenance" || fail "the drain did not survive a new container on the volume"
podman exec acd-packaging-smoke anycastd ctl undrain
[ "$(podman exec acd-packaging-smoke sh -c 'anycastd ctl --socket /nonexistent.sock status > /dev/null 2>&1; echo $?')" = 3 ] || fail "ctl without a daemon does not exit 3"

step "stop: SIGTERM withdraws and exits 0"
podman stop -t 30 acd-packaging-smoke > /dev/null
[ "$(podman inspect acd-packaging-smoke --format '{{.State.ExitCode}}')" = 0 ] || fail "exit code after SIGTERM"
podman logs acd-packaging-smoke 2>&1 | grep -q "withdrawing every route" || fail "no withdraw on SIGTERM"
podman rm acd-packaging-smoke > /dev/null
podman volume rm acd-packaging-state > /dev/null

step "pod: the web service and anycastd as a sidecar (packaging/podman/anycastd-pod.yaml)"
sed "s|docker.io/library/nginx:stable|$WEB_IMAGE|" packaging/podman/anycastd-pod.yaml > "$work/pod.yaml"
# hostNetwork means the namespace podman runs in: here, the test's own (nsenter, not ip netns exec,
# which would remount /sys and hide the cgroup hierarchy from podman).
play() {
    nsenter --net="/run/netns/$ns" podman kube play "$work/pod.yaml" > /dev/null
    tries=0
    until ip netns exec "$ns" curl -fsS http://127.0.0.1:9090/metrics 2> /dev/null | grep -q '^anycastd_service_up{service="web"} 1'; do
        tries=$((tries + 1))
        [ "$tries" -lt 60 ] || { podman logs anycast-web-anycastd >&2 || true; fail "the sidecar never saw the web service up"; }
        sleep 0.5
    done
}
podman volume rm -f anycastd-state > /dev/null 2>&1 || true
play
ip netns exec "$ns" curl -fsS http://127.0.0.1:9090/metrics | grep '^anycastd_route_announced'
podman exec anycast-web-anycastd anycastd ctl status
podman exec anycast-web-anycastd anycastd ctl drain web --reason "pod maintenance"
ip netns exec "$ns" curl -fsS http://127.0.0.1:9090/ | grep -q "pod maintenance" || fail "the status page does not show the drain"
nsenter --net="/run/netns/$ns" podman kube play --down "$work/pod.yaml" > /dev/null
play
podman exec anycast-web-anycastd anycastd ctl services | grep -q "drained: pod maintenance" || fail "the drain did not survive the pod's replacement"
nsenter --net="/run/netns/$ns" podman kube play --down "$work/pod.yaml"
podman volume rm -f anycastd-state > /dev/null
rm -f "$work/pod.yaml"

step "ok"
