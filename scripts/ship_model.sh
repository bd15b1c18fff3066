#!/usr/bin/env bash
# Export a trained checkpoint as the embedded default model and measure it (results under docs/results/).
# Usage: scripts/ship_model.sh CHECKPOINT TOKENIZER LEXICON PUNCTUATION LEXICON_GATE [LORA_ADAPTER]
# Dev (QALB-2014 dev, source and corrected side) picks the policy — or POLICY_FROM names a JSON file whose
# "policy" and "strict_policy" were tuned so before (training/recipes/default_policies.json) — and QALB-2015
# dev the learner policy; test numbers are measured once, after everything is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
checkpoint="$1"; tokenizer="$2"; lexicon="$3"; punctuation="$4"; gate="$5"; lora="${6:-}"
staging=work/default_model
nahawi export --checkpoint "$checkpoint" ${lora:+--lora "$lora"} --tokenizer "$tokenizer" --lexicon "$lexicon" \
    --punctuation "$punctuation" --lexicon-gate "$gate" --recipe "${NAHAWI_RECIPE:-scripts/ship_model.sh}" --out "$staging" --precision int8 --verify-dev 100 --force --json \
    > work/export_report.json
if [ -n "${POLICY_FROM:-}" ]; then
    python - "$staging" "$POLICY_FROM" <<'PY'
import json, sys
from pathlib import Path
from training.tune import write_policy
tuned = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
write_policy(Path(sys.argv[1]), tuned["policy"], tuned["strict_policy"])
PY
else
    nahawi train tune-policy --model "$staging" --max-false-alarms 2.0 --strict-false-alarms 1.0 --write \
        | tee work/tune_policy.log
fi
nahawi train tune-policy --model "$staging" --learner --write | tee work/tune_learner_policy.log
rm -rf nahawi/resources/default_model && cp -r "$staging" nahawi/resources/default_model
mkdir -p docs/results
for dataset in qalb14-dev qalb15-dev zaebuc-dev qalb14-test; do
    nahawi bench quality --dataset "$dataset" --json > "docs/results/quality-$dataset.json"
done
for dataset in qalb14-dev qalb15-dev zaebuc-dev; do
    nahawi bench false-alarms --dataset "$dataset" > "docs/results/false-alarms-$dataset.json"
    nahawi bench quality --dataset "$dataset" --learner --json > "docs/results/quality-learner-$dataset.json"
    nahawi bench false-alarms --dataset "$dataset" --learner > "docs/results/false-alarms-learner-$dataset.json"
done
# The naive decoder must run the weights that were exported: with an adapter, its LoRA run's checkpoint.
naive="$checkpoint"; if [ -n "$lora" ]; then naive="$(dirname "$lora")/best.pt"; fi
nahawi bench speed --checkpoint "$naive" --json > docs/results/speed-cpu-1thread.json
for dataset in qalb14-dev zaebuc-dev qalb14-test; do
    nahawi bench quality --dataset "$dataset" --strict --json > "docs/results/quality-strict-$dataset.json"
done
for dataset in qalb14-dev qalb15-dev zaebuc-dev; do
    nahawi bench false-alarms --dataset "$dataset" --strict > "docs/results/false-alarms-strict-$dataset.json"
done
