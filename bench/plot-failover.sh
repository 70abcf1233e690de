#!/usr/bin/env bash
# Plots the failover samples written by bench/failover.sh (CSV: speaker,phase,rep,seconds[,detection,
# overhead]) as CDFs per speaker and phase: the whole time on top and, when the CSV has it, the
# overhead (BIRD's stamp minus the speaker's own decision) below, on a log scale. Needs the Debian
# package gnuplot-nox.
#
#   bench/plot-failover.sh failover.csv failover.png
set -euo pipefail
CSV=${1:-failover.csv}
PNG=${2:-failover.png}
command -v gnuplot >/dev/null || { echo "plot-failover: install the Debian package gnuplot-nox" >&2; exit 1; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
# cdf COLUMN NAME: one "milliseconds fraction" file per speaker and phase.
cdf() {
    local s p
    for s in anycastd exabgp; do
        for p in withdraw announce; do
            awk -F, -v s="$s" -v p="$p" -v c="$1" '$1 == s && $2 == p { print $c * 1000 }' "$CSV" | sort -g \
                | awk '{ a[NR] = $1 } END { for (i = 1; i <= NR; i++) print a[i], i / NR }' > "$TMP/$2-$s-$p.dat"
        done
    done
}
cdf 4 total
overhead=0
if head -1 "$CSV" | grep -q ',overhead'; then cdf 6 overhead; overhead=1; fi
plots() {
    printf 'plot "%s/%s-anycastd-withdraw.dat" with steps lw 2 title "anycastd withdraw", ' "$TMP" "$1"
    printf '"%s/%s-exabgp-withdraw.dat" with steps lw 2 dt 2 title "ExaBGP healthcheck withdraw", ' "$TMP" "$1"
    printf '"%s/%s-anycastd-announce.dat" with steps lw 2 title "anycastd announce", ' "$TMP" "$1"
    printf '"%s/%s-exabgp-announce.dat" with steps lw 2 dt 2 title "ExaBGP healthcheck announce"\n' "$TMP" "$1"
}
{
    if [ "$overhead" = 1 ]; then
        echo 'set terminal png size 900,900'
        echo "set output \"$PNG\""
        echo 'set multiplot layout 2,1'
    else
        echo 'set terminal png size 900,500'
        echo "set output \"$PNG\""
    fi
    echo 'set ylabel "fraction of repetitions"'
    echo 'set key bottom right'
    echo 'set yrange [0:1]'
    echo 'set grid'
    echo 'set title "Failover latency: service killed -> prefix gone from BIRD (withdraw), back -> prefix in BIRD (announce)"'
    echo 'set xlabel "milliseconds (BIRD log stamps)"'
    plots total
    if [ "$overhead" = 1 ]; then
        echo 'set title "Overhead: BIRD'"'"'s stamp minus the speaker'"'"'s own decision (its log stamp)"'
        echo 'set xlabel "milliseconds, log scale"'
        echo 'set logscale x'
        plots overhead
        echo 'unset multiplot'
    fi
} | gnuplot
echo "wrote $PNG"
