#!/usr/bin/env bash
# The full-size seq2seq on a lent GPU in one command of at most ten minutes (issue 19): data made on the device
# from ../shared/corpus (+ the real QALB pairs), the `base` recipe's model and settings with bf16, the
# punct-aware LoRA (all real pairs, marks kept, plus a sample of the others; best checkpoint on dev with
# punctuation), an fp16 ONNX export, and the CUDA execution provider verified on the exported model.
#
# Each training stage is time-boxed: `timeout -s TERM` makes the trainer stop after its current step and
# save last.pt (best.pt holds the best dev evaluation so far), so the command ends on time whatever the GPU.
# Everything lands in OUT: the stage configs (derived from training/recipes/base.json; the resolved values
# beside each run), the runs, the model directory and OUT/report.json (steps reached, dev scores, provider).
#
#   scripts/gpu_train.sh [--out DIR] [--preset base] [--device cuda] [--budget SECONDS] [--smoke] [--dry-run]
#                        [--data-root DIR] [--corpus-root DIR] [--threads N]
#
# --dry-run writes and checks the configs, the roots and the commands, prints the plan and runs nothing.
# On CPU (tests): --preset test --device cpu --smoke --budget 240 (the export is still fp16; the provider
# check then asks for the CPU).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=runs/gpu PRESET=base DEVICE=cuda BUDGET=570 SMOKE=0 DRY=0 THREADS=8
DATA_ROOT=${NAHAWI_DATA_ROOT:-../shared/data} CORPUS_ROOT=${NAHAWI_CORPUS_ROOT:-../shared/corpus}
while [ $# -gt 0 ]; do
    case "$1" in
        --out) OUT=$2; shift 2 ;;
        --preset) PRESET=$2; shift 2 ;;
        --device) DEVICE=$2; shift 2 ;;
        --budget) BUDGET=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --data-root) DATA_ROOT=$2; shift 2 ;;
        --corpus-root) CORPUS_ROOT=$2; shift 2 ;;
        --smoke) SMOKE=1; shift ;;
        --dry-run) DRY=1; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "gpu_train.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
NAHAWI=("$PY" -c "import sys; sys.argv[0] = 'nahawi'; from nahawi.cli import main; main()")
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$THREADS}
mkdir -p "$OUT"
STARTED=$(date +%s)

# The plan: stage configs and time boxes (seconds) from the budget; checked here, before any work.
"$PY" - "$OUT" "$PRESET" "$DEVICE" "$BUDGET" "$SMOKE" "$THREADS" "$DATA_ROOT" "$CORPUS_ROOT" <<'PY'
import json, sys
from pathlib import Path

from nahawi.errors import ConfigError
from training.config import preset
from training.data.prepare import PrepareConfig
from training.trainer import TrainConfig

out, name, device, budget, smoke, threads, data_root, corpus_root = sys.argv[1:]
out, budget, smoke, threads = Path(out), int(budget), smoke == "1", int(threads)
try:
    preset(name)
    if device not in ("cuda", "cpu"):
        raise ConfigError(f"--device must be cuda or cpu, got {device!r}")
    for label, root in (("data root", data_root), ("corpus root", corpus_root)):
        if not Path(root).is_dir():
            raise ConfigError(f"{label} {root} not found")
    if budget < 120:
        raise ConfigError(f"--budget {budget} s is too short (at least 120)")
except ConfigError as error:
    sys.exit(f"gpu_train.sh: {error}")
base = json.loads(Path("training/recipes/base.json").read_text(encoding="utf-8"))
# Time boxes: data 18%, base 45%, LoRA 20%, export and checks the rest.
boxes = {"data": int(budget * 0.18), "base": int(budget * 0.45), "lora": int(budget * 0.20)}
boxes["export"] = budget - sum(boxes.values())
prepare = {**base["prepare"], **({"corpus_sentences": 2000, "max_paragraphs": 1500, "real_upsample": 1,
                                  "calibration_sentences": 400} if smoke else
                                 {"corpus_sentences": 60000, "max_paragraphs": 40000})}
PrepareConfig.from_dict(prepare)
eval_docs = 8 if smoke else 100
common = {"model": name, "device": device, "bf16": True, "threads": threads, "eval_docs": eval_docs,
          "log_every": 10 if smoke else 50}
train = {**base["train"], **common, "data_dir": str(out / "data"), "tokenizer": str(out / "data" / "spm.model"),
         "out_dir": str(out / "base"), "grad_accum": 1, "warmup_steps": 10 if smoke else 300,
         "max_steps": 40 if smoke else 3000, "eval_every": 20 if smoke else 500, "save_every": 20 if smoke else 250}
lora = {**base["lora"], **common, "data_dir": str(out / "lora_mix"), "tokenizer": str(out / "data" / "spm.model"),
        "out_dir": str(out / "lora"), "select_on": "with_punct", "warmup_steps": 5 if smoke else 100,
        "max_steps": 10 if smoke else 800, "eval_every": 5 if smoke else 200, "save_every": 5 if smoke else 100}
if smoke:
    train["max_tokens"] = lora["max_tokens"] = 2000
    lora["lora_rank"], lora["lora_alpha"] = 8, 16.0
for config in (train, lora):
    TrainConfig.from_dict(config)
plan = {"preset": name, "device": device, "budget_s": budget, "boxes_s": boxes, "smoke": smoke,
        "vocab_size": 600 if smoke else base["tokenizer"]["vocab_size"], "lora_others": 300 if smoke else 48000,
        # clean paragraphs the tokenizer samples (the default 200k takes minutes on one thread)
        "tokenizer_lines": 2000 if smoke else 60000,
        "precision": "fp16", "data_root": data_root, "corpus_root": corpus_root}
for file, value in (("prepare.json", prepare), ("base.json", {"train": train}), ("lora.json", lora),
                    ("plan.json", plan)):
    (out / file).write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
print(json.dumps(plan))
PY
plan() { "$PY" -c "import json,sys; p=json.load(open('$OUT/plan.json')); v=p; [v:=v[k] for k in sys.argv[1:]]; print(v)" "$@"; }
VOCAB=$(plan vocab_size) OTHERS=$(plan lora_others)
BOX_DATA=$(plan boxes_s data) BOX_BASE=$(plan boxes_s base) BOX_LORA=$(plan boxes_s lora)
RANK=$("$PY" -c "import json; print(json.load(open('$OUT/lora.json'))['lora_rank'])")
ALPHA=$("$PY" -c "import json; print(json.load(open('$OUT/lora.json'))['lora_alpha'])")
SMOKE_FLAG=(); [ "$SMOKE" = 1 ] && SMOKE_FLAG=(--smoke)
ROOTS=(--data-root "$DATA_ROOT" --corpus-root "$CORPUS_ROOT")

if [ "$DRY" = 1 ]; then
    for command in "train prepare" "train tokenizer" "train model" "train mix" "train lora" "export"; do
        # shellcheck disable=SC2086
        "${NAHAWI[@]}" $command --help > /dev/null || { echo "gpu_train.sh: nahawi $command is missing" >&2; exit 1; }
    done
    echo "plan: $OUT/plan.json; stages: data (${BOX_DATA}s) -> base (${BOX_BASE}s) -> mix + LoRA (${BOX_LORA}s)" \
         "-> export fp16 -> provider check ($DEVICE); dry run, nothing trained"
    exit 0
fi

stage() { echo "[gpu_train $(( $(date +%s) - STARTED ))s] $*"; }
# A time-boxed training run: SIGTERM at the box's end stops it after its current step (exit 124 from timeout).
boxed() { local seconds=$1; shift; timeout -s TERM -k 30 "$seconds" "$@" || [ $? -eq 124 ]; }

stage "data from $CORPUS_ROOT and $DATA_ROOT"
[ -f "$OUT/data/train.jsonl" ] || "${NAHAWI[@]}" train prepare --out "$OUT/data" --config "$OUT/prepare.json" \
    "${ROOTS[@]}" "${SMOKE_FLAG[@]}"
[ -f "$OUT/data/spm.model" ] || "${NAHAWI[@]}" train tokenizer --data "$OUT/data" --vocab-size "$VOCAB" \
    --corpus-root "$CORPUS_ROOT" --corpus-lines "$(plan tokenizer_lines)"
stage "base ($PRESET, bf16, $DEVICE) for at most ${BOX_BASE}s"
boxed "$BOX_BASE" "${NAHAWI[@]}" train model --config "$OUT/base.json" --data-root "$DATA_ROOT"
BASE_CKPT="$OUT/base/best.pt"; [ -f "$BASE_CKPT" ] || BASE_CKPT="$OUT/base/last.pt"
stage "punct-aware LoRA from $BASE_CKPT for at most ${BOX_LORA}s"
[ -f "$OUT/lora_mix/train.jsonl" ] || "${NAHAWI[@]}" train mix --data "$OUT/data" --out "$OUT/lora_mix" \
    --others "$OTHERS" --seed 7
boxed "$BOX_LORA" "${NAHAWI[@]}" train lora --base "$BASE_CKPT" --config "$OUT/lora.json" --rank "$RANK" \
    --alpha "$ALPHA" --data-root "$DATA_ROOT"
[ -f "$OUT/lora/best.pt" ] || { echo "gpu_train.sh: the LoRA run reached no dev evaluation ($OUT/lora)" >&2; exit 1; }
stage "export fp16"
"${NAHAWI[@]}" export --checkpoint "$OUT/lora/best.pt" --tokenizer "$OUT/data/spm.model" --precision fp16 \
    --out "$OUT/model" --force --threads "$THREADS" --recipe "scripts/gpu_train.sh ($PRESET)"
stage "provider check on $DEVICE"
"$PY" - "$OUT" "$DEVICE" "$DATA_ROOT" "$STARTED" <<'PY'
import json, sys, time
from pathlib import Path

from nahawi.engine import Corrector, CorrectorOptions
from nahawi.engine.sessions import CPU, CUDA

out, device, data_root, started = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
engine = Corrector.from_dir(out / "model", device=device, options=CorrectorOptions(policy=False, cache_size=0))
expected = CUDA if device == "cuda" else CPU
if engine.info.provider != expected:
    sys.exit(f"gpu_train.sh: the model runs on {engine.info.provider}, not {expected}")
dev = Path(data_root) / "qalb/2014/dev/QALB-2014-L1-Dev.sent.no_ids"
lines = dev.read_text(encoding="utf-8").splitlines()[:20]
begun = time.perf_counter()
corrected = engine.correct_batch(lines)
seconds = time.perf_counter() - begun
runs = {}
for name in ("base", "lora"):
    state = json.loads((out / name / "config.json").read_text(encoding="utf-8"))
    log = (out / name / "train.log").read_text(encoding="utf-8").splitlines()
    runs[name] = {"config": state["train"]["model"], "last_log": [l for l in log if " step " in l][-1:],
                  "dev": [l for l in log if "dev @" in l][-1:]}
report = {"provider": engine.info.provider, "precision": engine.info.precision, "dev_lines": len(lines),
          "edits": sum(len(c.edits) for c in corrected), "words_per_s": sum(len(l.split()) for l in lines) / seconds,
          "runs": runs, "seconds": int(time.time()) - started}
(out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
print(json.dumps(report, ensure_ascii=False))
PY
stage "done: $OUT/model, $OUT/report.json"
