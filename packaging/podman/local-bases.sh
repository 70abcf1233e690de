#!/bin/sh
# Makes the two base images of the Containerfile and the pod example's web image locally, for
# machines that reach the Debian mirror and crates.io's index only through the host (no container
# registry): a Debian 12 minbase made by debootstrap stands in for debian:bookworm-slim, the same
# plus gcc, libssl-dev, the host's stable Rust toolchain and the host's cargo registry cache (builds
# run offline) for rust:1-bookworm, and the minbase plus Debian's nginx-light for nginx:stable.
#
#   packaging/podman/local-bases.sh [WORK_DIR]
#
# Tags localhost/acd-packaging-debian:bookworm-slim, localhost/acd-packaging-rust:1-bookworm and
# localhost/acd-packaging-web:bookworm.
# Needs root, debootstrap, podman, and a rustup stable toolchain in $RUSTUP_HOME (~/.rustup).
set -eu
work=${1:-/var/tmp/acd-packaging-bases}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
cargo_home=${CARGO_HOME:-$HOME/.cargo}
toolchain=$(ls -d "$rustup_home"/toolchains/stable-* | head -n1)
[ -x "$toolchain/bin/cargo" ] || { echo "local-bases: no stable toolchain in $rustup_home" >&2; exit 1; }
mkdir -p "$work"
path='PATH=/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

if ! podman image exists localhost/acd-packaging-debian:bookworm-slim; then
    rm -rf "$work/rootfs"
    debootstrap --variant=minbase --include=ca-certificates,libssl3,curl bookworm "$work/rootfs" "$mirror"
    tar -C "$work/rootfs" -c . | podman import - localhost/acd-packaging-debian:bookworm-slim
fi

if ! podman image exists localhost/acd-packaging-rust:1-bookworm; then
    [ -d "$work/rootfs" ] || debootstrap --variant=minbase --include=ca-certificates,libssl3,curl bookworm "$work/rootfs" "$mirror"
    rm -rf "$work/rootfs-rust"
    cp -a "$work/rootfs" "$work/rootfs-rust"
    cp /etc/resolv.conf "$work/rootfs-rust/etc/resolv.conf"
    chroot "$work/rootfs-rust" sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev pkg-config libssl-dev make && apt-get clean && rm -rf /var/lib/apt/lists/*'
    mkdir -p "$work/rootfs-rust/usr/local/rust" "$work/rootfs-rust/usr/local/cargo/registry"
    cp -a "$toolchain/." "$work/rootfs-rust/usr/local/rust/"
    rm -rf "$work/rootfs-rust/usr/local/rust/share/doc"
    cp -a "$cargo_home/registry/cache" "$cargo_home/registry/index" "$work/rootfs-rust/usr/local/cargo/registry/"
    tar -C "$work/rootfs-rust" -c . | podman import --change "ENV $path" --change 'ENV CARGO_HOME=/usr/local/cargo' \
        --change 'ENV CARGO_NET_OFFLINE=true' - localhost/acd-packaging-rust:1-bookworm
fi
if ! podman image exists localhost/acd-packaging-web:bookworm; then
    rm -rf "$work/rootfs-web"
    debootstrap --variant=minbase --include=nginx-light bookworm "$work/rootfs-web" "$mirror"
    tar -C "$work/rootfs-web" -c . | podman import --change "ENV $path" - localhost/acd-packaging-web:bookworm
fi
echo "local-bases: localhost/acd-packaging-debian:bookworm-slim localhost/acd-packaging-rust:1-bookworm localhost/acd-packaging-web:bookworm"
