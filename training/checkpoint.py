"""Checkpoints: weights + resolved config + step, loaded without code execution.

Accepts our checkpoints and the original system's (a bare state dict or `{'model_state_dict': ...}`).
"""
from __future__ import annotations

import os
import pickle
import re
import tempfile
import textwrap
from pathlib import Path

import torch
from torch import nn

from nahawi.errors import ModelError
from training.config import ModelConfig

ZIP_MAGIC = b"PK\x03\x04"  # torch.save's default format (a zip archive)
LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"  # the pre-1.6 format's pickled magic
# torch names what a refused pickle calls in two ways: an unlisted global, or one from a blocked module (os, sys)
_GLOBAL = re.compile(r"GLOBAL (\S+) (?:was not an allowed global|whose module \S+ is blocked)")


def safe_load(path: str | Path):
    """torch.load with weights_only=True: anything that needs code execution is refused. Every failure is a
    ModelError with a one-line message saying what went wrong: missing, unreadable, empty, not a PyTorch
    file, would execute code (naming what it calls), or corrupt/truncated."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"checkpoint not found: {path}")
    try:
        with path.open("rb") as handle:
            head = handle.read(len(LEGACY_MAGIC))
    except OSError as error:
        raise ModelError(f"{path}: cannot read ({error.strerror or error})") from None
    if not head:
        raise ModelError(f"{path}: empty file, not a checkpoint")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types (UnpicklingError, RuntimeError, IndexError, ...)
        raise ModelError(_load_failure(path, head, error)) from error


def _load_failure(path: Path, head: bytes, error: Exception) -> str:
    """The one-line reason a checkpoint did not load."""
    found = _GLOBAL.search(str(error)) if isinstance(error, pickle.UnpicklingError) else None
    if found:
        return f"{path}: refused, loading it would execute code (it calls {found.group(1)})"
    if not (head.startswith(ZIP_MAGIC) or head == LEGACY_MAGIC):
        return f"{path}: not a PyTorch checkpoint (unrecognised format)"
    return f"{path}: corrupt or truncated checkpoint ({_reason(error)})"


def _reason(error: Exception) -> str:
    """The first sentence of torch's message, without its internal prefixes; else the error's type."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = text.split(". ")[0].removeprefix("PytorchStreamReader ").rstrip(".")
    return textwrap.shorten(text, 160, placeholder=" ...") or type(error).__name__


def extract_state_dict(payload) -> dict[str, torch.Tensor]:
    if isinstance(payload, dict) and isinstance(payload.get("model_state_dict"), dict):
        payload = payload["model_state_dict"]
    elif isinstance(payload, dict) and isinstance(payload.get("model"), dict):
        payload = payload["model"]
    if not isinstance(payload, dict) or not all(isinstance(v, torch.Tensor) for v in payload.values()):
        raise ModelError("checkpoint holds no model state dict")
    return {k.removeprefix("module."): v for k, v in payload.items()}


def config_from_state_dict(state: dict[str, torch.Tensor], nhead: int | None = None) -> ModelConfig:
    """Infer the architecture from tensor shapes (head count cannot be inferred: default d_model/64)."""
    vocab, d_model = state["embedding.weight"].shape
    count = lambda prefix: len({k.split(".")[2] for k in state if k.startswith(prefix)})
    return ModelConfig(
        vocab_size=vocab, d_model=d_model, nhead=nhead or max(1, d_model // 64),
        num_encoder_layers=count("encoder.layers."), num_decoder_layers=count("decoder.layers."),
        dim_feedforward=state["encoder.layers.0.linear1.weight"].shape[0],
        max_seq_len=state["pos_encoder.pe"].reshape(-1, d_model).shape[0],
        norm_first="encoder.norm.weight" in state, dropout=0.1)


def load_weights(model: nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    d_model = model.config.d_model
    if "pos_encoder.pe" in state:  # original tables are (L, 1, d) or (1, L, d)
        state = dict(state, **{"pos_encoder.pe": state["pos_encoder.pe"].reshape(1, -1, d_model)})
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if k != "output_projection.weight"]  # tied
    if missing or unexpected:
        raise ModelError(f"{source}: weights do not match the model config "
                         f"(missing {missing[:3]}, unexpected {unexpected[:3]})")


def load_model(path: str | Path, config: ModelConfig | None = None):
    """Build a Seq2SeqTransformer from a checkpoint; config from the file, the argument, or the shapes."""
    from training.model import Seq2SeqTransformer

    payload = safe_load(path)
    state = extract_state_dict(payload)
    if config is None and isinstance(payload, dict) and isinstance(payload.get("config"), dict):
        config = ModelConfig.from_dict(payload["config"])
    config = config or config_from_state_dict(state)
    model = Seq2SeqTransformer(config)
    load_weights(model, state, str(path))
    return model, payload


def save_checkpoint(path: str | Path, model: nn.Module, include_lora: bool = False, **extra) -> None:
    """Weights + resolved config + extras, written atomically. Adapter keys only when asked (resume)."""
    state = {k: v for k, v in model.state_dict().items() if include_lora or "lora_" not in k}
    save_atomically({"model_state_dict": state, "config": model.config.to_dict(), **extra}, path)


def save_atomically(obj, path: str | Path) -> None:
    """torch.save through a temporary file of its own, so a reader (another rank) never sees a half-written file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(obj, handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
