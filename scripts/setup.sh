#!/usr/bin/env bash
# Create .venv and install Nahawi. Usage: scripts/setup.sh [runtime|dev]
#   runtime: the core (CLI + embedded model);  dev: every extra (train, app, lsp) and the test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-runtime}"
python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
if [ "$profile" = dev ]; then
    # CPU build of torch first (the project asks for a range so GPU users get CUDA builds).
    python -m pip install --quiet "torch==2.13.0" || python -m pip install --quiet torch --index-url https://download.pytorch.org/whl/cpu
    python -m pip install --quiet -e ".[train,app,lsp,dev]"
else
    python -m pip install --quiet -e .
fi
