#!/bin/sh
# Builds the anycastd .deb from a staged tree with dpkg-deb alone: no debhelper and no cargo-deb,
# so CI needs nothing beyond dpkg (and dpkg-dev for the shared-library dependencies), and the same
# commit and binary give the same package bytes (SOURCE_DATE_EPOCH, sorted tar, root owner).
#
#   packaging/deb/build.sh [OUT_DIR]        # builds the release binary first
#   ANYCASTD_BIN=path/to/anycastd packaging/deb/build.sh [OUT_DIR]
#
# Prints the path of the .deb on the last line.
set -eu
cd "$(dirname "$0")/../.."
repo=$(pwd)
out=${1:-"$repo/target/deb"}
mkdir -p "$out"
out=$(cd "$out" && pwd)

target_dir=${CARGO_TARGET_DIR:-"$repo/target"}
if [ -z "${ANYCASTD_BIN:-}" ]; then
    cargo build --release --locked -p anycastd-actors >&2
    ANYCASTD_BIN="$target_dir/release/anycastd"
fi
[ -x "$ANYCASTD_BIN" ] || { echo "build.sh: no executable at $ANYCASTD_BIN" >&2; exit 1; }

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
[ -n "$version" ] || { echo "build.sh: no version in Cargo.toml" >&2; exit 1; }
arch=$(dpkg --print-architecture)
: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH

stage=$(mktemp -d "${TMPDIR:-/tmp}/anycastd-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
root="$stage/root"
doc="$root/usr/share/doc/anycastd"

install -D -m 0755 "$ANYCASTD_BIN" "$root/usr/bin/anycastd"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/anycastd"
install -D -m 0644 packaging/systemd/anycastd.service "$root/lib/systemd/system/anycastd.service"
install -D -m 0640 packaging/deb/config.yaml "$root/etc/anycastd/config.yaml"
install -D -m 0644 packaging/deb/default "$root/etc/default/anycastd"
install -D -m 0644 packaging/anycastd.schema.json "$root/usr/share/anycastd/anycastd.schema.json"
install -D -m 0644 packaging/grafana/anycastd.json "$root/usr/share/anycastd/grafana/anycastd.json"
install -D -m 0644 packaging/man/anycastd.8 "$root/usr/share/man/man8/anycastd.8"
gzip -9n "$root/usr/share/man/man8/anycastd.8"
install -d -m 0755 "$doc/examples"
for f in README.md docs/*.md; do install -m 0644 "$f" "$doc/"; done
for f in config-examples/*; do install -m 0644 "$f" "$doc/examples/"; done
install -m 0644 packaging/deb/copyright "$doc/copyright"
printf 'anycastd (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- anycastd maintainers <maintainers@anycastd.invalid>  %s\n' \
    "$version" "$version" "$(date -u -d "@$SOURCE_DATE_EPOCH" -R)" | gzip -9n > "$doc/changelog.Debian.gz"

# Shared-library dependencies from the binary itself.
depends="libc6, libssl3"
if command -v dpkg-shlibdeps > /dev/null; then
    mkdir -p "$stage/shlibs/debian"
    printf 'Source: anycastd\n\nPackage: anycastd\nArchitecture: any\n' > "$stage/shlibs/debian/control"
    found=$(cd "$stage/shlibs" && dpkg-shlibdeps -O "$root/usr/bin/anycastd" 2> /dev/null | sed -n 's/^shlibs:Depends=//p')
    [ -n "$found" ] && depends=$found
fi

mkdir -p "$root/DEBIAN"
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: anycastd
Version: $version
Architecture: $arch
Maintainer: anycastd maintainers <maintainers@anycastd.invalid>
Installed-Size: $installed_size
Depends: $depends, adduser
Recommends: ca-certificates
Section: net
Priority: optional
Homepage: https://github.com/anycastd/anycastd
Description: announce anycast prefixes over BGP while local health checks pass
 anycastd runs health checks against a local service (HTTP, DNS, NTP, TLS,
 ICMP, TFTP, TCP, commands, maintenance files) and keeps a BGP session to each
 upstream router. It announces the node's prefixes while the service is
 healthy and withdraws them when it fails. It reads the configuration of the
 Go anycastd as it is.
CONTROL
printf '/etc/anycastd/config.yaml\n/etc/default/anycastd\n' > "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    install -m 0755 "packaging/deb/$script" "$root/DEBIAN/$script"
done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort \
    | xargs md5sum > DEBIAN/md5sums)
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control" "$root/DEBIAN/conffiles"

find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
deb="$out/anycastd_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
