"""What the encoder pretraining and the tagger fine-tuning share: AdamW parameter groups, the warm-up +
inverse-square-root schedule, and a run that stops cleanly on SIGTERM (it saves, then returns).

A subclass provides `config` (with max_steps), `out` (its run folder), `model`, `optimizer`, `state`, `log`,
`save()`, `describe()` (one log line), `resumed()` (what a resumed run says) and `_loop(end)`, which checks
`stop_requested` between steps. Knows nothing of data or models' heads.
"""
from __future__ import annotations

import signal

from torch import nn

from training.checkpoint import safe_load


def decay_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """AdamW groups: weight decay on matrices, none on biases, norms and the (tied) embedding."""
    decayed = lambda name, p: p.dim() >= 2 and "embedding" not in name
    params = list(model.named_parameters())
    return [{"params": [p for n, p in params if decayed(n, p)], "weight_decay": weight_decay},
            {"params": [p for n, p in params if not decayed(n, p)], "weight_decay": 0.0}]


def warmup_inverse_sqrt(peak: float, warmup_steps: int, step: int) -> float:
    """Linear warm-up to `peak`, then peak · sqrt(warmup / step): no fixed end, so a run can be resumed and
    extended for as long as its dev curve rises."""
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    return peak * (warmup_steps / step) ** 0.5


class StoppableRun:
    stop_requested = False

    def train(self, stop_at: int | None = None) -> dict:
        """Train to max_steps (or pause after `stop_at`); SIGTERM saves and returns."""
        self.resume()
        end = min(self.config.max_steps, stop_at or self.config.max_steps)
        previous = signal.signal(signal.SIGTERM, self._request_stop)
        self.log(self.describe())
        try:
            self._loop(end)
        finally:
            signal.signal(signal.SIGTERM, previous)
            self.save()
        return self.state

    def resume(self) -> None:
        """Continue from out/last.pt when there is one (weights, optimizer, trainer state; loaded safely)."""
        path = self.out / "last.pt"
        if not path.exists():
            return
        payload = safe_load(path)
        self.model.load_state_dict(payload["model_state_dict"])
        self.optimizer.load_state_dict(payload["optimizer"])
        self.state = payload["trainer_state"]
        self.log(f"resumed from {path} at step {self.state['step']} ({self.resumed()})")

    def _request_stop(self, *_) -> None:
        self.stop_requested = True
