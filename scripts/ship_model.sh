#!/usr/bin/env bash
# Export a trained checkpoint as the embedded default model and measure it (results under docs/results/).
# Usage: scripts/ship_model.sh CHECKPOINT TOKENIZER LEXICON
# Dev (QALB-2014 dev) picks the edit policy; test numbers are measured once, after everything is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
checkpoint="$1"; tokenizer="$2"; lexicon="$3"
staging=work/default_model
nahawi export --checkpoint "$checkpoint" --tokenizer "$tokenizer" --lexicon "$lexicon" --out "$staging" \
    --precision int8 --verify-dev 100 --force --json > work/export_report.json
nahawi train tune-policy --model "$staging" --write | tee work/tune_policy.log
rm -rf nahawi/resources/default_model && cp -r "$staging" nahawi/resources/default_model
mkdir -p docs/results
for dataset in qalb14-dev qalb15-dev zaebuc-dev qalb14-test; do
    nahawi bench quality --dataset "$dataset" --json > "docs/results/quality-$dataset.json"
done
for dataset in qalb14-dev zaebuc-dev; do
    nahawi bench false-alarms --dataset "$dataset" > "docs/results/false-alarms-$dataset.json"
done
nahawi bench speed --checkpoint "$checkpoint" --json > docs/results/speed-cpu.json
