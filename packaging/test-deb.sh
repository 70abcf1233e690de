#!/bin/sh
# Builds the .deb, installs it with dpkg -i, and checks what an operator relies on: the installed
# binary validates the installed config (also as the anycastd user, through the packaged
# permissions), the unit passes systemd-analyze verify, the schema, the man page and the bash, zsh
# and fish completions are in place (and are what the installed binary generates), an
# edited conffile survives a reinstall, and purge removes the config. Never starts the daemon.
#
#   packaging/test-deb.sh                    # builds the release binary
#   ANYCASTD_BIN=path packaging/test-deb.sh  # packages that binary
#
# Needs root, dpkg, adduser and systemd-analyze (Debian package systemd). Leaves the package purged
# (the anycastd system user stays, as Debian packages leave their users).
set -eu
cd "$(dirname "$0")/.."

fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
. packaging/keyed-copy.sh
step() { echo "test-deb: $*"; }

[ "$(id -u)" = 0 ] || fail "must run as root (it installs the package with dpkg -i)"
for tool in dpkg dpkg-deb adduser systemd-analyze man; do
    command -v "$tool" > /dev/null || fail "$tool is missing (apt-get install -y dpkg adduser systemd man-db)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/acd-deb-test.XXXXXX")
cleanup() {
    status=$?
    if dpkg-query -W -f='${Status}' anycastd 2> /dev/null | grep -q installed; then
        dpkg --purge anycastd > /dev/null 2>&1 || true
    fi
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT INT TERM

step "build"
if [ -z "${ANYCASTD_BIN:-}" ]; then
    cargo build --release --locked -p anycastd-actors
    ANYCASTD_BIN="${CARGO_TARGET_DIR:-$(pwd)/target}/release/anycastd"
fi
export ANYCASTD_BIN
rm -f target/deb/anycastd_*.deb
packaging/deb/build.sh
deb=$(ls target/deb/anycastd_*.deb)
[ -f "$deb" ] || fail "build.sh left no package in target/deb"
dpkg-deb --info "$deb" > "$work/info"
dpkg-deb --contents "$deb" > "$work/contents"
for path in ./usr/bin/anycastd ./lib/systemd/system/anycastd.service ./etc/anycastd/config.yaml \
    ./usr/share/man/man8/anycastd.8.gz ./usr/share/doc/anycastd/copyright \
    ./usr/share/doc/anycastd/operator-guide.md ./usr/share/anycastd/anycastd.schema.json \
    ./usr/share/anycastd/grafana/anycastd.json ./usr/share/anycastd/prometheus/anycastd.rules.yml \
    ./usr/share/bash-completion/completions/anycastd \
    ./usr/share/zsh/vendor-completions/_anycastd ./usr/share/fish/vendor_completions.d/anycastd.fish; do
    grep -q " $path\$" "$work/contents" || fail "$path is not in the package"
done
dpkg-deb --info "$deb" conffiles | grep -qx /etc/anycastd/config.yaml || fail "config.yaml is not a conffile"
dpkg-deb --field "$deb" Depends | grep -q libssl3 || fail "Depends lacks libssl3"

step "reproducible: a second build gives the same bytes"
mkdir "$work/again"
again=$(packaging/deb/build.sh "$work/again" | tail -n1)
cmp "$deb" "$again" || fail "two builds of the same binary differ"

step "install"
dpkg --purge anycastd > /dev/null 2>&1 || true
dpkg -i target/deb/anycastd_*.deb
getent passwd anycastd > /dev/null || fail "postinst did not create the anycastd user"
[ "$(stat -c '%U:%G %a' /etc/anycastd/config.yaml)" = "root:anycastd 640" ] \
    || fail "config.yaml is $(stat -c '%U:%G %a' /etc/anycastd/config.yaml), want root:anycastd 640"
[ "$(stat -c '%U:%G %a' /etc/anycastd)" = "root:anycastd 750" ] || fail "/etc/anycastd mode"

step "the installed binary validates the installed config"
/usr/bin/anycastd --version
anycastd --check-config /etc/anycastd/config.yaml
CONFIG_PATH=/etc/anycastd/config.yaml /usr/bin/anycastd --check-config
runuser -u anycastd -- /usr/bin/anycastd --check-config /etc/anycastd/config.yaml \
    || fail "the anycastd user cannot read its config"
for example in /usr/share/doc/anycastd/examples/*; do
    checked=$(keyed_copy "$example" "$work")
    /usr/bin/anycastd --check-config "$checked" > /dev/null || fail "$example does not validate"
done
printf 'announcer: {}\n' > "$work/broken.yaml"
set +e
/usr/bin/anycastd --check-config "$work/broken.yaml" 2> "$work/broken.err"
code=$?
set -e
[ "$code" = 2 ] || fail "a broken config exits $code, want 2"
grep -q "broken.yaml:" "$work/broken.err" || fail "errors do not name the file"
/usr/bin/anycastd --print-config-schema | cmp - /usr/share/anycastd/anycastd.schema.json \
    || fail "--print-config-schema differs from the shipped schema"

step "the unit"
systemd-analyze verify /lib/systemd/system/anycastd.service
systemd-analyze security --offline=true --threshold=20 /lib/systemd/system/anycastd.service \
    | tail -n1 | tee "$work/security"
grep -q 'exposure level for anycastd.service: 1\.[0-9] OK' "$work/security" \
    || fail "the unit's exposure rose above 2.0 (docs/operator-guide.md records 1.6)"
man -w anycastd > /dev/null || fail "man anycastd finds nothing"

step "the man page and the completions are the binary's own"
zcat /usr/share/man/man8/anycastd.8.gz > "$work/man"
/usr/bin/anycastd manpage | cmp - "$work/man" || fail "the shipped man page differs from anycastd manpage"
man -l "$work/man" 2> "$work/man.err" | grep -q -- '--check-config' || fail "the man page lacks --check-config"
[ ! -s "$work/man.err" ] || fail "man warns: $(cat "$work/man.err")"
for shell in bash zsh fish; do
    case $shell in
        bash) file=/usr/share/bash-completion/completions/anycastd ;;
        zsh) file=/usr/share/zsh/vendor-completions/_anycastd ;;
        fish) file=/usr/share/fish/vendor_completions.d/anycastd.fish ;;
    esac
    /usr/bin/anycastd completions $shell | cmp - "$file" || fail "$file differs from anycastd completions $shell"
    grep -q -- 'check-config' "$file" || fail "$file does not complete --check-config"
done
bash -n /usr/share/bash-completion/completions/anycastd || fail "the bash completion does not parse"

step "an edited conffile survives a reinstall"
echo "# edited by the operator" >> /etc/anycastd/config.yaml
dpkg -i --force-confold "$deb" > /dev/null
grep -q "edited by the operator" /etc/anycastd/config.yaml || fail "reinstall replaced the edited config"
/usr/bin/anycastd --check-config /etc/anycastd/config.yaml > /dev/null

step "remove keeps the config, purge removes it"
dpkg --remove anycastd > /dev/null
[ ! -e /usr/bin/anycastd ] || fail "remove left the binary"
[ -f /etc/anycastd/config.yaml ] || fail "remove deleted the conffile"
dpkg --purge anycastd > /dev/null
[ ! -e /etc/anycastd/config.yaml ] || fail "purge left the config"
! dpkg-statoverride --list /etc/anycastd > /dev/null || fail "purge left a statoverride"

step "ok"
