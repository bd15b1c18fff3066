"""Self-supervised pretraining of the Arabic encoder: whole-word masked language modelling on the clean corpus.

Why masked-LM: the tagger that sits on this encoder decides each word from both sides of it (أن/إن after
قال or يجب, a comma before و), which is exactly what predicting a hidden word from its two-sided context
teaches; it needs no generator network (ELECTRA) on a CPU budget where every FLOP counts. Whole words are
masked (all their pieces at once) so the model cannot copy a word from its own other pieces.

Owns the masked-LM head, the masking, the schedule and a resumable loop (one thread by default, so the
rest of the machine stays usable). Checkpoints load with `weights_only=True`; the batch for a step is
derived from (seed, step), so a resumed run sees exactly the batches it would have seen.
"""
from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nahawi.errors import ConfigError
from training.checkpoint import safe_load, save_atomically
from training.config import ModelConfig, check_keys, preset
from training.data.corpus_stream import StreamConfig, build_stream, open_stream
from training.heap import map_large_blocks
from training.model import TextEncoder
from training.run_loop import StoppableRun, decay_groups, warmup_inverse_sqrt

MASK_PIECE = "<mask>"


@dataclass(frozen=True)
class PretrainConfig:
    out_dir: str = "runs/encoder"  # checkpoints, stream cache, log, resolved config
    model: str = "encoder-small"  # model preset (training.config.PRESETS)
    tokenizer: str = ""  # SentencePiece model with a <mask> control symbol; "" = train one into out_dir
    tokenizer_vocab: int = 16000  # vocabulary of the tokenizer trained when none is given
    tokenizer_lines: int = 200_000  # corpus paragraphs sampled to train it
    stream: StreamConfig = field(default_factory=StreamConfig)  # which corpus text, how held out
    seq_len: int = 128  # pieces per training window (bos + pieces + eos)
    batch_size: int = 64  # windows per step
    mask_share: float = 0.15  # share of words masked
    lr: float = 7e-4  # peak learning rate
    warmup_steps: int = 2000  # linear warmup, then inverse-square-root decay (no fixed end: resumable forever)
    max_steps: int = 1_000_000  # stop here
    weight_decay: float = 0.01
    clip_norm: float = 1.0
    log_every: int = 50  # steps between log lines (loss, tokens/s)
    save_every: int = 250  # steps between resumable checkpoints (last.pt)
    eval_every: int = 2000  # steps between held-out evaluations and encoder snapshots
    eval_windows: int = 512  # held-out windows evaluated
    seed: int = 17
    threads: int = 1  # torch CPU threads (size to the cores actually free, ../shared/NOTES.md)
    bf16: bool = True  # bf16 autocast where the CPU has avx512_bf16 / AMX (emulated bf16 is 10x slower)
    dropout: float = 0.0  # dropout while pretraining: off, it cost a fifth of the step and the run is far from overfitting

    @classmethod
    def from_dict(cls, values: dict) -> PretrainConfig:
        check_keys(cls, values, "pretraining config")
        stream = StreamConfig.from_dict(values.get("stream", {}))
        return cls(**{**values, "stream": stream})


class MaskedLanguageModel(TextEncoder):
    """TextEncoder + a masked-LM head over the tied embeddings (head parameters are `mlm_*`)."""

    def __init__(self, config: ModelConfig):
        super().__init__(config)
        d = config.d_model
        self.mlm_transform = nn.Linear(d, d)
        self.mlm_norm = nn.LayerNorm(d)
        self.mlm_bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, ids: Tensor, masked: Tensor) -> Tensor:
        """ids (B, T), masked (B, T) bool -> logits (N, V) for the N masked positions only."""
        hidden = self.encode(ids)[masked]  # (N, d)
        hidden = self.mlm_norm(F.gelu(self.mlm_transform(hidden)))
        return F.linear(hidden, self.embedding.weight, self.mlm_bias)


class Masker:
    """Whole-word masking of id windows: 80% <mask>, 10% a random piece, 10% unchanged."""

    def __init__(self, sp, mask_share: float):
        self.mask_id = sp.piece_to_id(MASK_PIECE)
        if self.mask_id == sp.unk_id():
            raise ConfigError(f"the tokenizer has no {MASK_PIECE} control symbol")
        vocab = sp.vocab_size()
        self.word_start = np.array([sp.id_to_piece(i).startswith("▁") or sp.is_control(i) for i in range(vocab)])
        self.special = np.array([sp.is_control(i) or sp.is_unknown(i) for i in range(vocab)])
        self.first_normal = int(np.argmin(self.special[5:])) + 5
        self.vocab, self.share = vocab, mask_share

    def __call__(self, ids: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """ids (B, T) -> (inputs (B, T), masked (B, T) bool)."""
        word = np.cumsum(self.word_start[ids], axis=1)  # (B, T) word index per piece
        chosen = rng.random((ids.shape[0], word.max() + 1)) < self.share
        masked = np.take_along_axis(chosen, word, axis=1) & ~self.special[ids]
        roll = rng.random(ids.shape)
        inputs = ids.copy()
        inputs[masked & (roll < 0.8)] = self.mask_id
        swap = masked & (roll >= 0.8) & (roll < 0.9)
        inputs[swap] = rng.integers(self.first_normal, self.vocab, int(swap.sum()))
        return inputs, masked


def sample_windows(stream: np.ndarray, count: int, seq_len: int, bos: int, eos: int,
                   rng: np.random.Generator) -> np.ndarray:
    """`count` random windows of the stream as (count, seq_len) int64: bos + seq_len-2 pieces + eos."""
    starts = rng.integers(0, len(stream) - seq_len, count)
    body = np.stack([stream[s:s + seq_len - 2] for s in starts]).astype(np.int64)
    return np.concatenate([np.full((count, 1), bos), body, np.full((count, 1), eos)], axis=1)


def learning_rate(config: PretrainConfig, step: int) -> float:
    return warmup_inverse_sqrt(config.lr, config.warmup_steps, step)


def encoder_state(model: nn.Module) -> dict[str, Tensor]:
    """The encoder's own weights (no masked-LM head): what the tagger and the seq2seq start from."""
    return {k: v for k, v in model.state_dict().items() if not k.startswith("mlm_")}


class Pretrainer(StoppableRun):
    def __init__(self, config: PretrainConfig, corpus_root: Path, log):
        import sentencepiece as spm

        from training.trainer import cpu_has_bf16

        self.config, self.log = config, log
        torch.set_num_threads(config.threads)
        map_large_blocks()
        self.out = Path(config.out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        tokenizer = Path(config.tokenizer) if config.tokenizer else self.out / "spm.model"
        if not tokenizer.exists():
            train_encoder_tokenizer(corpus_root, tokenizer, config, log)
        self.sp = spm.SentencePieceProcessor(model_file=str(tokenizer))
        meta = build_stream(corpus_root, tokenizer, self.out / "stream", config.stream, log)
        log(f"stream: {meta['train_tokens']:,} training pieces, {meta['held_out_tokens']:,} held out")
        self.train_stream = open_stream(self.out / "stream", "train")
        self.held_out = open_stream(self.out / "stream", "held_out")
        self.masker = Masker(self.sp, config.mask_share)
        self.model_config = dataclasses.replace(preset(config.model), vocab_size=self.sp.vocab_size(),
                                                dropout=config.dropout)
        if config.seq_len > self.model_config.max_seq_len:
            raise ConfigError(f"seq_len {config.seq_len} exceeds the model's max_seq_len "
                              f"{self.model_config.max_seq_len}")
        torch.manual_seed(config.seed)
        self.model = MaskedLanguageModel(self.model_config)
        self.optimizer = torch.optim.AdamW(decay_groups(self.model, config.weight_decay), lr=config.lr,
                                           betas=(0.9, 0.98), eps=1e-6)
        self.bf16 = config.bf16 and cpu_has_bf16()
        self.state = {"step": 0, "tokens": 0, "history": []}
        (self.out / "config.json").write_text(json.dumps(
            {"pretrain": dataclasses.asdict(config), "model": self.model_config.to_dict(),
             "tokenizer": str(tokenizer)}, indent=2) + "\n")

    def batch(self, stream: np.ndarray, count: int, rng: np.random.Generator) -> tuple[Tensor, Tensor, Tensor]:
        ids = sample_windows(stream, count, self.config.seq_len, self.sp.bos_id(), self.sp.eos_id(), rng)
        inputs, masked = self.masker(ids, rng)
        return torch.from_numpy(inputs), torch.from_numpy(masked), torch.from_numpy(ids[masked])

    def loss_on(self, inputs: Tensor, masked: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            logits = self.model(inputs, masked)
        logits = logits.float()
        return F.cross_entropy(logits, labels), (logits.argmax(-1) == labels).float().mean()

    def resumed(self) -> str:
        return f"{self.state['tokens']:,} pieces seen"

    def save(self) -> None:
        save_atomically({"model_state_dict": self.model.state_dict(), "config": self.model_config.to_dict(),
                         "optimizer": self.optimizer.state_dict(), "trainer_state": self.state,
                         "pretrain_config": dataclasses.asdict(self.config)}, self.out / "last.pt")

    def snapshot(self, scores: dict) -> None:
        """encoder.pt: the encoder weights + config + tokenizer path + held-out scores, for the tagger."""
        payload = {"model_state_dict": encoder_state(self.model), "config": self.model_config.to_dict(),
                   "step": self.state["step"], "tokens": self.state["tokens"], "held_out": scores}
        save_atomically(payload, self.out / "encoder.pt")

    @torch.no_grad()
    def evaluate(self) -> dict:
        self.model.eval()
        rng = np.random.default_rng([self.config.seed, 999_999])
        losses, accuracies = [], []
        for _ in range(max(1, self.config.eval_windows // self.config.batch_size)):
            loss, accuracy = self.loss_on(*self.batch(self.held_out, self.config.batch_size, rng))
            losses.append(loss.item())
            accuracies.append(accuracy.item())
        self.model.train()
        return {"loss": float(np.mean(losses)), "accuracy": float(np.mean(accuracies))}

    def describe(self) -> str:
        return (f"model: {self.model.num_parameters() / 1e6:.1f}M parameters "
                f"({self.model_config.num_encoder_layers} layers, d {self.model_config.d_model}); "
                f"bf16 {self.bf16}; {torch.get_num_threads()} thread(s)")

    def _loop(self, end: int) -> None:
        self.model.train()
        started, seen, losses = time.time(), 0, []
        while self.state["step"] < end and not self.stop_requested:
            step = self.state["step"]
            lr = learning_rate(self.config, step)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            inputs, masked, labels = self.batch(self.train_stream, self.config.batch_size,
                                                np.random.default_rng([self.config.seed, step]))
            loss, _ = self.loss_on(inputs, masked, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip_norm)
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
            self.state["step"] += 1
            self.state["tokens"] += inputs.numel()
            seen += inputs.numel()
            losses.append(loss.item())
            self._after_step(lr, seen / (time.time() - started), losses)

    def _after_step(self, lr: float, rate: float, losses: list[float]) -> None:
        step = self.state["step"]
        if step % self.config.log_every == 0:
            self.log(f"step {step} loss {np.mean(losses[-self.config.log_every:]):.4f} lr {lr:.2e} "
                     f"{rate:,.0f} tok/s seen {self.state['tokens'] / 1e6:.1f}M")
        if step % self.config.eval_every == 0:
            scores = self.evaluate()
            self.state["history"].append({"step": step, "tokens": self.state["tokens"], **scores})
            self.log(f"held-out @ {step}: loss {scores['loss']:.4f} accuracy {scores['accuracy']:.4f}")
            self.snapshot(scores)
        if step % self.config.save_every == 0 or step % self.config.eval_every == 0:
            self.save()


def train_encoder_tokenizer(corpus_root: Path, out: Path, config: PretrainConfig, log=print) -> dict:
    """A unigram tokenizer with a <mask> control symbol, on a sample of the stream's own paragraphs."""
    import random

    from training.data.corpus_stream import iter_corpus_paragraphs
    from training.tokenizer import TokenizerConfig, train_on_lines

    paragraphs = [p for _, p in iter_corpus_paragraphs(corpus_root, config.stream)]
    random.Random(config.seed).shuffle(paragraphs)
    tokenizer_config = TokenizerConfig(vocab_size=config.tokenizer_vocab, corpus_lines=config.tokenizer_lines,
                                       input_sentence_size=config.tokenizer_lines, threads=2,
                                       control_symbols=(MASK_PIECE,))
    return train_on_lines(paragraphs[:config.tokenizer_lines], out, tokenizer_config, log)


ENCODER_PARTS = ("embedding.", "pos_encoder.", "encoder.")  # TextEncoder's own weights; heads differ


def load_encoder(path: str | Path) -> tuple[dict[str, Tensor], ModelConfig, dict]:
    """(encoder state dict, config, payload) from an encoder.pt, a pretraining last.pt or an edit tagger's
    checkpoint (`nahawi train tagger`: the same encoder under the same names, fine-tuned on corrections). The
    heads on top (masked-LM, word tags, marks) are left out: only the encoder's own weights."""
    payload = safe_load(path)
    if not isinstance(payload, dict) or "model_state_dict" not in payload or "config" not in payload:
        raise ConfigError(f"{path}: not an encoder checkpoint (needs model_state_dict and config)")
    state = {k: v for k, v in payload["model_state_dict"].items() if k.startswith(ENCODER_PARTS)}
    return state, ModelConfig.from_dict(payload["config"]), payload
