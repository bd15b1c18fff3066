"""LoRA adapters the PEFT way: wrap a Linear, A kaiming-initialised, B zero, scaling = alpha / rank.

Adapter files hold only adapter keys, in the original system's format: `{'lora_state_dict': {...}}` with
keys `<module path>.lora_A` (rank, in) and `<module path>.lora_B` (out, rank). They do not record alpha:
rank comes from the tensor shapes and alpha defaults to 2 x rank, as in every original recipe.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nahawi.errors import ModelError


@dataclass(frozen=True)
class LoraConfig:
    rank: int = 64  # adapter rank r
    alpha: float = 128.0  # scaling numerator: delta W = B A * alpha / r
    dropout: float = 0.05  # dropout on the adapter input
    targets: tuple[str, ...] = ("out_proj", "linear1", "linear2")  # module names that get adapters


class LoraLinear(nn.Linear):
    """A Linear whose weight/bias keep their names (base checkpoints load unchanged) plus lora_A/B."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float):
        super().__init__(base.in_features, base.out_features, bias=base.bias is not None,
                         device=base.weight.device, dtype=base.weight.dtype)
        self.weight, self.bias = base.weight, base.bias
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scaling = alpha / rank
        self.lora_dropout = nn.Dropout(dropout)
        self.merged = False

    def forward(self, x: Tensor) -> Tensor:
        out = F.linear(x, self.weight, self.bias)
        if self.merged:
            return out
        return out + F.linear(F.linear(self.lora_dropout(x), self.lora_A), self.lora_B) * self.scaling

    def merge(self) -> nn.Linear:
        """Return a plain Linear with W + B A * scaling folded in; refuses non-finite results."""
        with torch.no_grad():
            weight = self.weight + (self.lora_B @ self.lora_A) * self.scaling
            if not torch.isfinite(weight).all():
                raise ModelError("merging the LoRA adapter produced non-finite weights")
            plain = nn.Linear(self.in_features, self.out_features, bias=self.bias is not None)
            plain.weight = nn.Parameter(weight)
            if self.bias is not None:
                plain.bias = nn.Parameter(self.bias.detach().clone())
        return plain


def _target_paths(model: nn.Module, targets: tuple[str, ...]) -> list[str]:
    return [name for name, module in model.named_modules()
            if isinstance(module, nn.Linear) and name.rsplit(".", 1)[-1] in targets
            and not isinstance(module, LoraLinear)]


def _set_module(model: nn.Module, path: str, module: nn.Module) -> None:
    parent_path, _, child = path.rpartition(".")
    setattr(model.get_submodule(parent_path) if parent_path else model, child, module)


def add_lora(model: nn.Module, config: LoraConfig) -> list[str]:
    """Freeze the base, wrap every target Linear, return the wrapped module paths."""
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    paths = _target_paths(model, config.targets)
    for path in paths:
        _set_module(model, path, LoraLinear(model.get_submodule(path), config.rank, config.alpha,
                                            config.dropout))
    return paths


def merge_lora(model: nn.Module) -> int:
    """Fold every adapter into its base Linear in place; returns how many were merged."""
    paths = [name for name, module in model.named_modules() if isinstance(module, LoraLinear)]
    for path in paths:
        _set_module(model, path, model.get_submodule(path).merge())
    return len(paths)


def lora_state_dict(model: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().cpu() for k, v in model.state_dict().items()
            if k.endswith((".lora_A", ".lora_B"))}


def save_adapter(model: nn.Module, path: str | Path, config: LoraConfig) -> None:
    torch.save({"lora_state_dict": lora_state_dict(model), "lora_config": {
        "rank": config.rank, "alpha": config.alpha, "dropout": config.dropout,
        "targets": list(config.targets)}}, path)


def load_adapter(model: nn.Module, path: str | Path, alpha: float | None = None) -> LoraConfig:
    """Load an adapter file (ours or the original format) onto a base model, wrapping targets as needed."""
    from training.checkpoint import safe_load

    payload = safe_load(path)
    state = payload.get("lora_state_dict") if isinstance(payload, dict) else None
    if not isinstance(state, dict) or not state:
        raise ModelError(f"{path}: not a LoRA adapter file (no 'lora_state_dict')")
    state = {k.replace(".lora_A.weight", ".lora_A").replace(".lora_B.weight", ".lora_B"): v
             for k, v in state.items()}
    ranks = {v.shape[0] for k, v in state.items() if k.endswith(".lora_A")}
    if len(ranks) != 1:
        raise ModelError(f"{path}: adapter has inconsistent ranks {sorted(ranks)}")
    rank = ranks.pop()
    saved = payload.get("lora_config", {})
    alpha = alpha if alpha is not None else float(saved.get("alpha", 2 * rank))
    targets = tuple(sorted({k.rsplit(".", 2)[-2] for k in state}))
    config = LoraConfig(rank=rank, alpha=alpha, dropout=float(saved.get("dropout", 0.05)), targets=targets)
    wrapped = set(add_lora(model, config))
    expected = {p for k in state for p in [k.rsplit(".", 1)[0]]}
    if expected - wrapped:
        raise ModelError(f"{path}: adapter keys do not match the model: {sorted(expected - wrapped)[:3]}")
    model.load_state_dict(state, strict=False)
    return config
