"""A run's weights kept small enough to commit, so that a run outlives the machine it trained on.

Training runs live under ignored folders and a machine can come back without them; the recipe reproduces
them, but at hours of CPU. A snapshot is the run's weights in bf16 (half of fp32; the optimizer state, twice
the weights again, is left out), for a tagger its tag vocabulary, and its tokenizer's file beside it, with a
manifest of where it came from. A later run starts from it: a tagger as a stage (`init_tagger` + `init_tags`,
`schedule_offset` at the snapshot's step), a seq2seq run through `init_checkpoint` + `schedule_offset` (the
data read on from where the snapshot stopped) — both with a fresh optimizer, a short warm-up and the run's
rate going on.

    python -m training.snapshot CHECKPOINT OUT_DIR     # OUT_DIR/tagger.pt or model.pt, spm.model, manifest.json
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import torch

from nahawi.errors import ConfigError
from training.checkpoint import safe_load

KEPT = ("model_state_dict", "config", "tags", "step", "encoder", "dev")  # what a stage's init_tagger reads


def run_step(checkpoint: Path, payload: dict) -> int:
    """The step of the whole run: a stage counts its own steps from its `schedule_offset` (recorded in the
    checkpoint, or in the run's config.json beside it by trainers that did not record it)."""
    offset = payload.get("schedule_offset", (payload.get("tagger_config") or {}).get("schedule_offset"))
    if offset is None and (checkpoint.parent / "config.json").is_file():
        run_config = json.loads((checkpoint.parent / "config.json").read_text(encoding="utf-8"))
        offset = run_config.get("tagger", {}).get("schedule_offset")
    return int(payload.get("step") or 0) + int(offset or 0)


def write_snapshot(checkpoint: str | Path, out_dir: str | Path) -> dict:
    """OUT_DIR/tagger.pt (bf16 weights), OUT_DIR/spm.model (the run's tokenizer, byte for byte) and
    OUT_DIR/manifest.json; returns the manifest."""
    payload = safe_load(checkpoint)
    if not isinstance(payload, dict):
        raise ConfigError(f"{checkpoint}: not a training checkpoint")
    if {"model_state_dict", "config", "train_config", "trainer_state"} <= payload.keys():
        return _seq2seq_snapshot(Path(checkpoint), payload, Path(out_dir))
    if not {"model_state_dict", "config", "tags", "tokenizer"} <= payload.keys():
        raise ConfigError(f"{checkpoint}: neither a tagger checkpoint (model_state_dict, config, tags, tokenizer) "
                          "nor a seq2seq run's (model_state_dict, config, train_config, trainer_state)")
    tokenizer = Path(payload["tokenizer"])
    if not tokenizer.is_file():
        raise ConfigError(f"{checkpoint} was trained with {tokenizer}, which is not here: a snapshot needs it")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = _bf16(payload["model_state_dict"])
    snapshot = {key: payload[key] for key in KEPT if key in payload}
    snapshot["step"] = run_step(Path(checkpoint), payload)
    snapshot["model_state_dict"] = state
    snapshot["tokenizer"] = "spm.model"  # beside the snapshot
    torch.save(snapshot, out / "tagger.pt")
    if not (out / "spm.model").exists() or not (out / "spm.model").samefile(tokenizer):
        shutil.copyfile(tokenizer, out / "spm.model")  # a run continued from this folder already reads it
    manifest = {"from": str(checkpoint), "step": snapshot["step"], "dtype": "bfloat16",
                "tagger.pt": _sha256(out / "tagger.pt"), "spm.model": _sha256(out / "spm.model"),
                "dev": (payload.get("dev") or {}).get("with_punct", {}).get("f0.5")}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _bf16(state: dict) -> dict:
    return {key: value.to(torch.bfloat16) if value.is_floating_point() and key != "pos_encoder.pe" else value
            for key, value in state.items()}


def _seq2seq_snapshot(checkpoint: Path, payload: dict, out: Path) -> dict:
    """OUT/model.pt: a seq2seq run's weights (without LoRA adapters) in bf16, its config and the run's step;
    its tokenizer beside it."""
    tokenizer = Path(payload["train_config"]["tokenizer"])
    if not tokenizer.is_file():
        raise ConfigError(f"{checkpoint} was trained with {tokenizer}, which is not here: a snapshot needs it")
    if any("lora_" in key for key in payload["model_state_dict"]):
        raise ConfigError(f"{checkpoint} holds LoRA adapters: snapshot the merged best.pt or the base run")
    out.mkdir(parents=True, exist_ok=True)
    step = int(payload["trainer_state"]["step"])
    torch.save({"model_state_dict": _bf16(payload["model_state_dict"]), "config": payload["config"],
                "step": step, "tokenizer": "spm.model"}, out / "model.pt")
    if not (out / "spm.model").exists() or not (out / "spm.model").samefile(tokenizer):
        shutil.copyfile(tokenizer, out / "spm.model")
    # the run's own dev check, only when it scored these weights (checks are every eval_every steps)
    checks = [entry for entry in payload["trainer_state"].get("history") or [] if entry.get("step") == step]
    manifest = {"from": str(checkpoint), "step": step, "dtype": "bfloat16",
                "model.pt": _sha256(out / "model.pt"), "spm.model": _sha256(out / "spm.model"),
                "dev": checks[-1] if checks else None}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m training.snapshot CHECKPOINT OUT_DIR")
    print(json.dumps(write_snapshot(sys.argv[1], sys.argv[2]), indent=2))
