#!/bin/sh
# Builds the image from the Containerfile, runs it unprivileged in a network namespace of its own,
# runs its HEALTHCHECK, stops it with SIGTERM (exit 0 after withdrawing), then plays the sidecar pod
# example and waits until anycastd sees the web container healthy.
#
#   packaging/test-container.sh
#
# Base images come from RUST_IMAGE and RUNTIME_IMAGE (default: the local bases that
# packaging/podman/local-bases.sh makes when they are missing); the pod's web container from
# WEB_IMAGE (default docker.io/library/nginx:stable). Needs root, podman, iproute2.
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)

fail() { echo "test-container: FAIL: $*" >&2; exit 1; }
step() { echo "test-container: $*"; }

[ "$(id -u)" = 0 ] || fail "must run as root (rootful podman, network namespaces)"
command -v podman > /dev/null || fail "podman is missing (apt-get install -y podman)"
command -v ip > /dev/null || fail "ip is missing (apt-get install -y iproute2)"

RUST_IMAGE=${RUST_IMAGE:-localhost/acd-packaging-rust:1-bookworm}
RUNTIME_IMAGE=${RUNTIME_IMAGE:-localhost/acd-packaging-debian:bookworm-slim}
WEB_IMAGE=${WEB_IMAGE:-docker.io/library/nginx:stable}
case "$RUST_IMAGE$RUNTIME_IMAGE" in
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
    if [ -f "$work/pod.yaml" ]; then nsenter --net="/run/netns/$ns" podman kube play --down "$work/pod.yaml" > /dev/null 2>&1 || true; fi
    ip netns delete "$ns" 2> /dev/null || true
    rm -rf "$work"
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

step "run: the example config, unprivileged, in $ns"
podman run -d $limits --name acd-packaging-smoke --network "ns:/run/netns/$ns" localhost/anycastd:latest > /dev/null
tries=0
until podman healthcheck run acd-packaging-smoke > /dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { podman logs acd-packaging-smoke >&2; fail "HEALTHCHECK never passed"; }
    sleep 0.5
done
podman healthcheck run acd-packaging-smoke
[ "$(podman exec acd-packaging-smoke id -u)" = 10001 ] || fail "runs as root"
podman exec acd-packaging-smoke anycastd --check-config /config.yaml

step "stop: SIGTERM withdraws and exits 0"
podman stop -t 30 acd-packaging-smoke > /dev/null
[ "$(podman inspect acd-packaging-smoke --format '{{.State.ExitCode}}')" = 0 ] || fail "exit code after SIGTERM"
podman logs acd-packaging-smoke 2>&1 | grep -q "withdrawing every route" || fail "no withdraw on SIGTERM"
podman rm acd-packaging-smoke > /dev/null

step "pod: the web service and anycastd as a sidecar (packaging/podman/anycastd-pod.yaml)"
sed "s|docker.io/library/nginx:stable|$WEB_IMAGE|" packaging/podman/anycastd-pod.yaml > "$work/pod.yaml"
# hostNetwork means the namespace podman runs in: here, the test's own (nsenter, not ip netns exec,
# which would remount /sys and hide the cgroup hierarchy from podman).
nsenter --net="/run/netns/$ns" podman kube play "$work/pod.yaml"
tries=0
until ip netns exec "$ns" curl -fsS http://127.0.0.1:9090/metrics 2> /dev/null | grep -q '^anycastd_service_up{service="web"} 1'; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { podman logs anycast-web-anycastd >&2 || true; fail "the sidecar never saw the web service up"; }
    sleep 0.5
done
ip netns exec "$ns" curl -fsS http://127.0.0.1:9090/metrics | grep '^anycastd_route_announced'
nsenter --net="/run/netns/$ns" podman kube play --down "$work/pod.yaml"
rm -f "$work/pod.yaml"

step "ok"
