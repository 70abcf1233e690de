#!/usr/bin/env bash
# Plots the failover samples written by bench/failover.sh (CSV: speaker,phase,rep,seconds) as CDFs
# per speaker and phase. Needs the Debian package gnuplot-nox.
#
#   bench/plot-failover.sh failover.csv failover.png
set -euo pipefail
CSV=${1:-failover.csv}
PNG=${2:-failover.png}
command -v gnuplot >/dev/null || { echo "plot-failover: install the Debian package gnuplot-nox" >&2; exit 1; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
for s in anycastd exabgp; do
    for p in withdraw announce; do
        awk -F, -v s="$s" -v p="$p" '$1 == s && $2 == p { print $4 * 1000 }' "$CSV" | sort -n \
            | awk '{ a[NR] = $1 } END { for (i = 1; i <= NR; i++) print a[i], i / NR }' > "$TMP/$s-$p.dat"
    done
done
gnuplot <<GP
set terminal png size 900,500
set output "$PNG"
set title "Failover latency: service killed -> prefix gone from BIRD (withdraw), back -> prefix in BIRD (announce)"
set xlabel "milliseconds (BIRD log stamps)"
set ylabel "fraction of repetitions"
set key bottom right
set grid
plot "$TMP/anycastd-withdraw.dat" with steps lw 2 title "anycastd withdraw", \
     "$TMP/exabgp-withdraw.dat" with steps lw 2 dt 2 title "ExaBGP healthcheck withdraw", \
     "$TMP/anycastd-announce.dat" with steps lw 2 title "anycastd announce", \
     "$TMP/exabgp-announce.dat" with steps lw 2 dt 2 title "ExaBGP healthcheck announce"
GP
echo "wrote $PNG"
