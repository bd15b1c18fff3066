"""Training loop: CPU/CUDA, bf16 autocast, accumulation, warmup + decay, label smoothing, bucketed batches,
periodic dev M2 evaluation with best-checkpoint selection, resumable checkpoints, optional DDP (torchrun).

A run folder is not trusted: `last.pt` and the encoding cache load with `weights_only=True`. SIGTERM ends
the run after the current optimiser step and saves `last.pt`, so a stopped run resumes where it stopped.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from nahawi.errors import ConfigError, ModelError
from training.batching import collate, encode_pairs, epoch_batches
from training.checkpoint import load_weights, safe_load, save_checkpoint
from training.config import ModelConfig, check_keys, preset
from training.heap import map_large_blocks
from training.model import Seq2SeqTransformer
from training.segmentation import TARGET_PIECES


@dataclass(frozen=True)
class TrainConfig:
    data_dir: str = "work/data"  # folder with train.jsonl (from `nahawi train prepare`)
    tokenizer: str = "work/data/spm.model"  # SentencePiece model
    out_dir: str = "runs/tiny"  # checkpoints, logs, resolved config
    model: str = "tiny"  # model preset name (training.config.PRESETS)
    init_checkpoint: str = ""  # start from these weights (e.g. for LoRA or continued training)
    init_encoder: str = ""  # warm start from a pretrained encoder.pt (training.warm_start); tokenizer = its own
    schedule_offset: int = 0  # init_checkpoint is this run's snapshot at this step: schedule and data go on from it
    stage_warmup: int = 0  # a continued run's fresh optimizer ramps up to the schedule's rate over these steps
    max_tokens: int = 6000  # padded tokens per micro-batch (source side)
    grad_accum: int = 1  # micro-batches per optimiser step
    lr: float = 1e-3  # peak learning rate
    warmup_steps: int = 500  # linear warmup
    max_steps: int = 20000  # total optimiser steps (inverse-sqrt decay after warmup, cosine to 0 at the end)
    weight_decay: float = 0.01
    label_smoothing: float = 0.1
    target_pieces: str = "sentencepiece"  # sentencepiece | joins | aligned: targets cut like their sources (training.segmentation)
    clip_norm: float = 1.0
    eval_every: int = 1000  # steps between dev evaluations
    eval_docs: int = 150  # leading QALB-2014 dev documents used for selection
    save_every: int = 250  # steps between resumable checkpoints
    log_every: int = 25
    seed: int = 13
    threads: int = 1  # torch CPU threads (size to the cores actually free)
    device: str = "auto"  # auto | cpu | cuda
    bf16: bool = True  # bf16 autocast (CUDA, and CPUs with avx512_bf16/AMX: 2.4x faster here)
    select_on: str = "no_punct"  # dev score used for best checkpoint: no_punct | with_punct
    lora_rank: int = 0  # > 0: freeze init_checkpoint and train LoRA adapters of this rank
    lora_alpha: float = 128.0  # LoRA scaling numerator (alpha / rank)
    lora_dropout: float = 0.05  # dropout on the adapter input

    def __post_init__(self):
        if self.schedule_offset < 0 or self.stage_warmup < 0:
            raise ConfigError("schedule_offset and stage_warmup cannot be negative")
        if self.schedule_offset and not self.init_checkpoint:
            raise ConfigError("schedule_offset continues a run from its snapshot: init_checkpoint must name it")
        if self.schedule_offset and self.schedule_offset >= self.max_steps:
            raise ConfigError(f"schedule_offset {self.schedule_offset} is not before max_steps {self.max_steps}")
        if self.target_pieces not in TARGET_PIECES:
            raise ConfigError(f"target_pieces {self.target_pieces!r}: one of {', '.join(TARGET_PIECES)}")

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        check_keys(cls, values, "training config")
        return cls(**values)


def learning_rate(config: TrainConfig, step: int) -> float:
    """The rate at the run's `step` (a continued run counts from its snapshot's step, `schedule_offset`)."""
    ramp = 1.0
    if config.schedule_offset and step - config.schedule_offset < config.stage_warmup:
        ramp = (step - config.schedule_offset + 1) / config.stage_warmup
    if step < config.warmup_steps:
        return ramp * config.lr * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.max_steps - config.warmup_steps)
    return ramp * config.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


class Logger:
    def __init__(self, path: Path, rank: int):
        from rich.console import Console

        self.console, self.path, self.rank = Console(stderr=True), path, rank

    def __call__(self, message: str) -> None:
        if self.rank != 0:
            return
        stamp = time.strftime("%H:%M:%S")
        self.console.print(f"[dim]{stamp}[/dim] {message}", highlight=False)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(f"{stamp} {message}\n")


@functools.lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device cuda requested but CUDA is not available")
    return torch.device(name)


class Trainer:
    def __init__(self, config: TrainConfig, model_config: ModelConfig | None = None, dev=None):
        import sentencepiece as spm

        self.config, self.dev = config, dev
        self.rank = int(os.environ.get("RANK", "0"))
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        torch.set_num_threads(config.threads)
        map_large_blocks()
        torch.manual_seed(config.seed)
        self.device = pick_device(config.device)
        if self.world > 1 and not torch.distributed.is_initialized():
            torch.distributed.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
        self.out = Path(config.out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.log = Logger(self.out / "train.log", self.rank)
        self.sp = spm.SentencePieceProcessor(model_file=config.tokenizer)
        self.model_config = model_config or dataclasses.replace(preset(config.model),
                                                                vocab_size=self.sp.vocab_size())
        self.model = Seq2SeqTransformer(self.model_config).to(self.device)
        self.warm_start = self._warm_start()
        if config.init_checkpoint:
            from training.checkpoint import extract_state_dict

            load_weights(self.model, extract_state_dict(safe_load(config.init_checkpoint)), config.init_checkpoint)
        self.lora = None
        if config.lora_rank > 0:
            from training.lora import LoraConfig, add_lora

            self.lora = LoraConfig(rank=config.lora_rank, alpha=config.lora_alpha, dropout=config.lora_dropout)
            wrapped = add_lora(self.model, self.lora)
            self.model.to(self.device)
            self.log(f"LoRA rank {self.lora.rank} alpha {self.lora.alpha} on {len(wrapped)} linears; base frozen")
        self.sources, self.targets, report = encode_pairs(Path(config.data_dir) / "train.jsonl", self.sp,
                                                          self.model_config.max_seq_len, self.out,
                                                          config.target_pieces)
        self.log(f"data: {len(self.sources)} pairs used, {report['too_long']} skipped as longer than "
                 f"{self.model_config.max_seq_len} tokens (of {report['pairs']}); {report['cache']}")
        self.lengths = np.array([max(len(s), len(t)) + 2 for s, t in zip(self.sources, self.targets)])
        self.state = {"step": 0, "epoch": 0, "batch": 0, "best": -1.0, "history": []}
        if config.schedule_offset:
            self.state.update(self._position_after(config.schedule_offset))
        self.stop_requested = False  # set by SIGTERM: stop after the current step and save
        if self.rank == 0:
            (self.out / "config.json").write_text(json.dumps(
                {"train": dataclasses.asdict(config), "model": self.model_config.to_dict(),
                 "warm_start": self.warm_start}, indent=2),
                encoding="utf-8")

    def _warm_start(self) -> dict | None:
        """The pretrained encoder's weights into a fresh model (never over init_checkpoint's weights)."""
        if not self.config.init_encoder:
            return None
        if self.config.init_checkpoint:
            raise ConfigError("init_encoder and init_checkpoint both given: a warm start begins a new model, "
                              "init_checkpoint continues one; choose one")
        from training.warm_start import warm_start

        return warm_start(self.model, self.config.init_encoder, self.config.tokenizer, self.log)

    def trainable(self):
        return [p for p in self.model.parameters() if p.requires_grad]

    def build_optimizer(self) -> torch.optim.Optimizer:
        decay = [p for p in self.trainable() if p.dim() >= 2]
        no_decay = [p for p in self.trainable() if p.dim() < 2]
        return torch.optim.AdamW([{"params": decay, "weight_decay": self.config.weight_decay},
                                  {"params": no_decay, "weight_decay": 0.0}], lr=self.config.lr, betas=(0.9, 0.98))

    def _position_after(self, steps: int) -> dict:
        """Where the data stands after `steps` optimiser steps of this run: a run continued from its snapshot
        reads on from there, not the batches the snapshot already learned."""
        epoch = 0
        while True:
            batches = len(epoch_batches(self.lengths, self.config.max_tokens, self.config.seed, epoch)[self.rank::self.world])
            per_epoch = math.ceil(batches / self.config.grad_accum)
            if steps < per_epoch:
                return {"step": self.config.schedule_offset, "epoch": epoch, "batch": steps * self.config.grad_accum}
            steps -= per_epoch
            epoch += 1

    def resume(self, optimizer) -> None:
        path = self.out / "last.pt"
        if not path.exists():
            return
        payload = safe_load(path)
        missing = [k for k in ("model_state_dict", "optimizer", "trainer_state", "rng")
                   if not isinstance(payload, dict) or k not in payload]
        if missing:
            raise ModelError(f"{path}: not a resumable training checkpoint (missing {', '.join(missing)})")
        try:
            self.model.load_state_dict(payload["model_state_dict"], strict=False)
            optimizer.load_state_dict(payload["optimizer"])
            torch.set_rng_state(payload["rng"])
        except (RuntimeError, ValueError, KeyError, TypeError) as error:
            raise ModelError(f"{path}: does not match this run's model ({str(error).splitlines()[0]})") from None
        self.state = payload["trainer_state"]
        self.log(f"resumed from {path} at step {self.state['step']} (epoch {self.state['epoch']}, "
                 f"batch {self.state['batch']})")

    def save(self, optimizer, name: str = "last.pt") -> None:
        if self.rank == 0:
            save_checkpoint(self.out / name, self.unwrapped(), include_lora=True, optimizer=optimizer.state_dict(),
                            trainer_state=self.state, rng=torch.get_rng_state(),
                            train_config=dataclasses.asdict(self.config))

    def unwrapped(self):
        return self.model.module if hasattr(self.model, "module") else self.model

    def loss_on(self, indices) -> tuple[torch.Tensor, int]:
        c = self.model_config
        src, dec_in, labels = (t.to(self.device) for t in collate(indices, self.sources, self.targets,
                                                                       c.pad_id, c.bos_id, c.eos_id))
        use_bf16 = self.config.bf16 and (self.device.type == "cuda" or cpu_has_bf16())
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=use_bf16):
            logits = self.model(src, dec_in)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), labels.reshape(-1),
                               ignore_index=c.pad_id, label_smoothing=self.config.label_smoothing)
        return loss, int((labels != c.pad_id).sum())

    def evaluate(self) -> None:
        if self.dev is None or self.rank != 0:
            return
        from training.evaluate import score_dev

        started = time.time()
        scores = score_dev(self.unwrapped(), self.sp, self.dev)
        self.unwrapped().train()
        selected = scores.get(self.config.select_on, scores["with_punct"])["f0.5"]
        self.state["history"].append({"step": self.state["step"], **scores})
        summary = "  ".join(f"{k}: P {v['precision']:.3f} R {v['recall']:.3f} F0.5 {v['f0.5']:.4f}"
                            for k, v in scores.items())
        self.log(f"dev @ {self.state['step']}: {summary} ({time.time() - started:.0f}s)")
        if selected > self.state["best"]:
            self.state["best"] = selected
            self.save_best(scores)
            self.log(f"new best dev F0.5 {selected:.4f} -> {self.out / 'best.pt'}")

    def save_best(self, scores: dict) -> None:
        """best.pt always holds plain (merged) weights; LoRA runs also write the adapter alone."""
        model = self.unwrapped()
        if self.lora is None:
            save_checkpoint(self.out / "best.pt", model, step=self.state["step"], dev=scores,
                            train_config=dataclasses.asdict(self.config))
            return
        import copy

        from training.lora import merge_lora, save_adapter

        save_adapter(model, self.out / "best_adapter.pt", self.lora)
        merged = copy.deepcopy(model)
        merge_lora(merged)
        save_checkpoint(self.out / "best.pt", merged, step=self.state["step"], dev=scores,
                        train_config=dataclasses.asdict(self.config))

    def train(self, stop_at: int | None = None) -> dict:
        """Train to max_steps (or pause after step `stop_at`, as a kill would; the next call resumes).
        SIGTERM stops after the current step; last.pt is saved either way."""
        end = min(self.config.max_steps, stop_at or self.config.max_steps)
        optimizer = self.build_optimizer()
        self.resume(optimizer)
        if self.world > 1:
            self.model = torch.nn.parallel.DistributedDataParallel(self.model)
        self.model.train()
        self.log(f"model: {self.unwrapped().num_parameters() / 1e6:.1f}M parameters on {self.device}; "
                 f"{self.config.max_steps} steps")
        with _on_sigterm(self._request_stop):
            stopped = self._loop(optimizer, end)
        self.save(optimizer)
        if self.world > 1:
            # Every rank leaves together, with last.pt written, and drops DDP's reducer here: gloo work still
            # alive at interpreter exit aborts the process (SIGABRT seen in CI).
            torch.distributed.barrier()
            self.model = self.unwrapped()
        if stopped:
            self.log(f"stopped by SIGTERM after step {self.state['step']}; {self.out / 'last.pt'} saved")
        return self.state

    def _request_stop(self, *_) -> None:
        self.stop_requested = True

    def _should_stop(self) -> bool:
        """SIGTERM seen here or, under DDP, by any rank: all ranks stop after the same step. Called once
        per optimiser step and nowhere else, so every rank makes the same collective calls (ranks can hold
        different numbers of batches per epoch)."""
        if self.world == 1:
            return self.stop_requested
        flag = torch.tensor([float(self.stop_requested)], device=self.device)
        torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
        return bool(flag.item())

    def _loop(self, optimizer, end: int) -> bool:
        """Optimiser steps up to `end`; True when SIGTERM stopped them first."""
        tokens, started, running, stopped = 0, time.time(), [], False
        while self.state["step"] < end and not stopped:
            batches = epoch_batches(self.lengths, self.config.max_tokens, self.config.seed, self.state["epoch"])
            batches = batches[self.rank::self.world]
            while self.state["batch"] < len(batches) and self.state["step"] < end:
                lr = learning_rate(self.config, self.state["step"])
                for group in optimizer.param_groups:
                    group["lr"] = lr
                for _ in range(self.config.grad_accum):
                    if self.state["batch"] >= len(batches):
                        break
                    loss, count = self.loss_on(batches[self.state["batch"]])
                    (loss / self.config.grad_accum).backward()
                    self.state["batch"] += 1
                    tokens += count
                    running.append(loss.item())
                torch.nn.utils.clip_grad_norm_(self.trainable(), self.config.clip_norm)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                self.state["step"] += 1
                self.after_step(optimizer, lr, tokens, started, running)
                stopped = self._should_stop()
                if stopped:
                    break
            if self.state["batch"] >= len(batches):
                self.state["epoch"] += 1
                self.state["batch"] = 0
        return stopped

    def after_step(self, optimizer, lr: float, tokens: int, started: float, running: list[float]) -> None:
        step = self.state["step"]
        if step % self.config.log_every == 0:
            rate = tokens / max(1e-9, time.time() - started)
            self.log(f"step {step}/{self.config.max_steps} loss {np.mean(running[-50:]):.4f} lr {lr:.2e} "
                     f"{rate:,.0f} tok/s epoch {self.state['epoch']}")
        if step % self.config.save_every == 0:
            self.save(optimizer)
        if step % self.config.eval_every == 0:
            self.evaluate()
            self.save(optimizer)


class _on_sigterm:
    """Route SIGTERM to handler while training (main thread only: signals cannot be set elsewhere)."""

    def __init__(self, handler):
        self.handler, self.previous = handler, None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, self.handler)
        return self

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
