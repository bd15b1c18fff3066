#!/usr/bin/env bash
# Cold start of the bundle to a mapped window, under Xvfb: the bundle's files are dropped from the page cache
# (posix_fadvise), then `nahawi-app FILE` runs with an empty PATH and a fresh HOME until xwininfo sees its
# window; it prints the wall time and the CPU time the app used.
# Usage: packaging/linux/measure_start.sh [RUNS] (default 3). Needs Xvfb, xwininfo (x11-utils), python3, bc.
set -euo pipefail
cd "$(dirname "$0")/../.."
app="$PWD/dist/nahawi-app/nahawi-app"
file="$PWD/nahawi/resources/sample.txt"
scratch="$(mktemp -d)"
mkdir -p "$scratch/bin"
display=":$((90 + RANDOM % 9))"
Xvfb "$display" -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb"; rm -rf "$scratch"' EXIT
sleep 1
for run in $(seq 1 "${1:-3}"); do
    python3 -c 'import os, sys
for root, _, files in os.walk(sys.argv[1]):
    for name in files:
        path = os.path.join(root, name)
        if not os.path.islink(path):
            fd = os.open(path, os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)' \
        "$(dirname "$app")"
    rm -rf "$scratch/home"
    start=$(date +%s.%N)
    env -i HOME="$scratch/home" PATH="$scratch/bin" DISPLAY="$display" "$app" "$file" 2>/dev/null &
    pid=$!
    until DISPLAY="$display" xwininfo -root -tree | grep -q '"[^"]*sample.txt'; do sleep 0.02; done
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    # CPU time the app used until then (user + system, all threads): what a busy machine cannot inflate
    cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$pid/stat")
    echo "run $run: window after $wall s (CPU $cpu s)"
    kill "$pid"; wait "$pid" 2>/dev/null || true
done
