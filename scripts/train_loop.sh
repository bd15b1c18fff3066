#!/usr/bin/env bash
# Keep a resumable training run going until it finishes (restarts after a crash or an OOM kill).
# Usage: scripts/train_loop.sh CONFIG.json RUN_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
config="$1"; run="$2"
. .venv/bin/activate
mkdir -p "$run"
until [ -f "$run/done" ]; do
    OMP_NUM_THREADS=1 python -m training.run_config "$config" >> "$run/stdout.log" 2>&1 && touch "$run/done"
    [ -f "$run/done" ] || { echo "$(date +%T) trainer exited; restarting in 20 s" >> "$run/stdout.log"; sleep 20; }
done
