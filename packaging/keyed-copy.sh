# Sourced by the packaging tests. `keyed_copy EXAMPLE DIR` prints the path of a config to check
# with --check-config: EXAMPLE itself, or, when it names key files under /etc/anycastd/ (which
# --check-config reads), a copy in DIR whose key files exist there.
keyed_copy() {
    if ! grep -q 'md5_password_file: /etc/anycastd/' "$1"; then
        echo "$1"
        return
    fi
    copy="$2/$(basename "$1")"
    sed "s|md5_password_file: /etc/anycastd/|md5_password_file: $2/|" "$1" > "$copy"
    for key in $(sed -n 's|.*md5_password_file: /etc/anycastd/\([^ ]*\).*|\1|p' "$1"); do
        echo s3cret > "$2/$key"
    done
    echo "$copy"
}
