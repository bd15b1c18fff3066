"""scripts/gpu_train.sh: its plan resolves (stage configs that TrainConfig accepts, time boxes within the budget,
every CLI command it calls) without running anything; bad options and missing roots are one clear line; and,
slow, the whole script runs on the CPU with the `test` preset: data, base, punct-aware LoRA, fp16 export and
the provider check."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from training.config import preset
from training.trainer import TrainConfig

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "gpu_train.sh"


def _run(*args, timeout=600):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=REPO, check=False)


def _roots(shared_root):
    return ["--data-root", shared_root / "data", "--corpus-root", shared_root / "corpus"]


def test_dry_run_resolves_the_plan_and_runs_nothing(shared_root, tmp_path):
    done = _run("--out", tmp_path, "--dry-run", *_roots(shared_root))
    assert done.returncode == 0, done.stderr
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert plan["preset"] == "base" and plan["device"] == "cuda" and plan["precision"] == "fp16"
    assert sum(plan["boxes_s"].values()) == plan["budget_s"] <= 600  # one 10-minute device command
    base = TrainConfig.from_dict(json.loads((tmp_path / "base.json").read_text(encoding="utf-8"))["train"])
    lora = TrainConfig.from_dict(json.loads((tmp_path / "lora.json").read_text(encoding="utf-8")))
    assert base.model == lora.model == "base" and preset(base.model).d_model == 768
    assert base.bf16 and base.device == "cuda" and lora.lora_rank > 0 and lora.select_on == "with_punct"
    assert lora.data_dir.endswith("lora_mix") and "dry run, nothing trained" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.json", "lora.json", "plan.json", "prepare.json"]


def test_bad_options_are_one_clear_line(shared_root, tmp_path):
    done = _run("--out", tmp_path, "--epochs", "3")
    assert done.returncode == 2 and "unknown option --epochs" in done.stderr
    done = _run("--out", tmp_path, "--dry-run", "--preset", "huge", *_roots(shared_root))
    assert done.returncode != 0 and "unknown model preset 'huge'" in done.stderr
    done = _run("--out", tmp_path, "--dry-run", "--data-root", tmp_path / "nowhere")
    assert done.returncode != 0 and "data root" in done.stderr and "not found" in done.stderr


@pytest.mark.slow
def test_the_script_runs_end_to_end_on_cpu_with_the_test_preset(shared_root, tmp_path):
    out = tmp_path / "gpu"
    done = _run("--out", out, "--preset", "test", "--device", "cpu", "--smoke", "--budget", "300",
                "--threads", "1", *_roots(shared_root), timeout=1800)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["provider"] == "CPUExecutionProvider" and report["precision"] == "fp16"
    assert report["runs"]["lora"]["dev"] and (out / "lora" / "best.pt").is_file()
    model = json.loads((out / "model" / "model.json").read_text(encoding="utf-8"))
    assert model["precision"] == "fp16" and model["architecture"]["d_model"] == preset("test").d_model
