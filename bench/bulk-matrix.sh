#!/usr/bin/env bash
# Bulk announce at several table sizes: runs bench/bgp-bulk.sh for each N (default 1,000, 10,000 and
# 100,000) and prints one table: time from Established to the full table in BIRD, and RSS, for
# anycastd, gobgpd and BIRD -> BIRD, with anycastd's ratios. Each run is bounded by bgp-bulk.sh's
# own limit ($LIMIT, default 120 s per phase) and cleans up after itself.
#
#   sudo bench/bulk-matrix.sh [N...]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SIZES=("$@"); [ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 10000 100000)
RESULTS=()
for n in "${SIZES[@]}"; do
    out=$("$HERE/bgp-bulk.sh" "$n") || { echo "bulk-matrix: bgp-bulk.sh $n failed" >&2; exit 1; }
    echo "$out" | grep -v '^RESULT' >&2
    RESULTS+=("$(echo "$out" | awk '/^RESULT/ { $1 = ""; print }')")
done
printf '\n%8s | %-18s | %-18s | %-18s | %s\n' N "anycastd s / MiB" "gobgpd s / MiB" "BIRD s / MiB" "anycastd/gobgpd, anycastd/BIRD (time; RSS)"
for r in "${RESULTS[@]}"; do
    read -r n a ar g gr b br <<< "$r"
    awk -v n="$n" -v a="$a" -v ar="$ar" -v g="$g" -v gr="$gr" -v b="$b" -v br="$br" 'BEGIN {
        printf "%8d | %7.3f / %6.1f   | %7.3f / %6.1f   | %7.3f / %6.1f   | %.2f, %.2f; %.2f, %.2f\n",
            n, a, ar/1024, g, gr/1024, b, br/1024, a/g, a/b, ar/gr, ar/br }'
done
