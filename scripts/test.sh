#!/usr/bin/env bash
# Set up a development environment and run the default test suite (slow and gpu tests deselected).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
. .venv/bin/activate
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" QT_QPA_PLATFORM=offscreen
python -m pytest -m "not slow and not gpu" -q "$@"
