"""The edit tagger: the pretrained encoder with two per-piece heads (word tag at each word's first piece, mark
after it at its last piece), fine-tuned on gold tags of real and synthetic pairs; dev F0.5 through the same
tag decisions the engine makes (`nahawi.tags.choose_tags`).

Owns the model, the batching, the resumable loop (one thread by default; batches derive from (seed, epoch), so
a resumed run sees the batches it would have seen) and the dev evaluation with its threshold sweep.
Checkpoints load with `weights_only=True`.
"""
from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nahawi.errors import ConfigError
from nahawi.tags import TagPolicy, TagVocab, apply_tags, choose_tags
from training.checkpoint import safe_load, save_atomically
from training.config import ModelConfig, check_keys, preset
from training.heap import map_large_blocks
from training.model import TextEncoder
from training.pretrain import load_encoder
from training.run_loop import StoppableRun, decay_groups, warmup_inverse_sqrt
from training.tagger_data import (
    IGNORE,
    MARK_ORIGINS,
    ExampleSet,
    cached_examples,
    piece_positions,
    token_pieces,
)
from training.trainer import cpu_has_bf16


@dataclass(frozen=True)
class TaggerConfig:
    out_dir: str = "runs/tagger"  # checkpoints, log, example cache, resolved config
    train: str = "work/tagger_data/train.jsonl"  # prepared pairs (`nahawi train prepare`)
    encoder: str = "runs/encoder/encoder.pt"  # pretrained encoder; "" = random init from `model`
    tokenizer: str = "runs/encoder/spm.model"  # the encoder's tokenizer
    model: str = "encoder-small"  # preset used only without an encoder
    max_rewrites: int = 3000  # closed vocabulary of rewrite tags (most frequent first)
    min_rewrite_count: int = 3  # a rewrite seen fewer times is not a class
    max_pieces: int = 200  # longer examples are left out, never truncated
    train_pairs: int = 0  # use only the leading pairs of `train` (a shuffled sample); 0 = all
    derive_workers: int = 2  # processes aligning pairs into gold tags (once per prepared file, before training)
    mark_origins: tuple[str, ...] = MARK_ORIGINS  # origins whose marks are taught (("real",): QALB's convention)
    init_tagger: str = ""  # a tagger checkpoint to start from (same tags): a second stage on the same pairs
    init_tags: bool = False  # with init_tagger: keep its tag vocabulary (a second stage on new pairs)
    batch_pieces: int = 6000  # padded pieces per batch
    lr: float = 3e-4
    warmup_steps: int = 500
    schedule_offset: int = 0  # a stage that continues a run: its rate goes on from the run's step here
    stage_warmup: int = 100  # with schedule_offset: the stage's own warm-up (its optimizer starts afresh)
    max_steps: int = 1_000_000
    weight_decay: float = 0.01
    clip_norm: float = 1.0
    dropout: float = 0.1
    mark_loss_weight: float = 1.0
    log_every: int = 50
    save_every: int = 200
    eval_every: int = 500  # steps between dev evaluations (tagger.pt snapshot of the best)
    dev_documents: int = 400  # leading QALB-2014 dev documents evaluated while training (all: 1017)
    data_root: str = "../shared/data"
    seed: int = 23
    threads: int = 1
    bf16: bool = True  # bf16 autocast for the training steps where the CPU has native bf16 (AMX/AVX-512): ~1.7x

    @classmethod
    def from_dict(cls, values: dict) -> TaggerConfig:
        check_keys(cls, values, "tagger config")
        return cls(**values)


class EditTagger(TextEncoder):
    """TextEncoder + `word_head` (word tags) and `mark_head` (marks), both read at every piece."""

    def __init__(self, config: ModelConfig, word_tags: int, marks: int):
        super().__init__(config)
        self.word_head = nn.Linear(config.d_model, word_tags)
        self.mark_head = nn.Linear(config.d_model, marks)

    def forward(self, ids: Tensor) -> tuple[Tensor, Tensor]:
        """ids (B, T) -> word logits (B, T, word tags), mark logits (B, T, marks)."""
        hidden = self.encode(ids)
        return self.word_head(hidden), self.mark_head(hidden)


def epoch_batches(lengths: np.ndarray, batch_pieces: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Example indices in batches of similar length (padded size <= batch_pieces), in random order."""
    order = rng.permutation(len(lengths))
    batches = []
    for start in range(0, len(order), 4096):  # sort within pools: little padding, still shuffled
        pool = order[start:start + 4096]
        pool = pool[np.argsort(lengths[pool], kind="stable")]
        batch: list[int] = []
        for index in pool:
            if batch and (len(batch) + 1) * max(lengths[batch[-1]], lengths[index]) > batch_pieces:
                batches.append(np.array(batch))
                batch = []
            batch.append(int(index))
        if batch:
            batches.append(np.array(batch))
    return [batches[i] for i in rng.permutation(len(batches))]


def collate(examples: ExampleSet, indices: np.ndarray, pad_id: int) -> tuple[Tensor, Tensor, Tensor]:
    width = int(examples.lengths()[indices].max())
    ids = np.full((len(indices), width), pad_id, dtype=np.int64)
    words = np.full((len(indices), width), IGNORE, dtype=np.int64)
    marks = np.full((len(indices), width), IGNORE, dtype=np.int64)
    for row, k in enumerate(indices):
        example = examples.example(int(k))
        n = len(example.ids)
        ids[row, :n], words[row, :n], marks[row, :n] = example.ids, example.word_labels, example.mark_labels
    return torch.from_numpy(ids), torch.from_numpy(words), torch.from_numpy(marks)


def learning_rate(config: TaggerConfig, step: int) -> float:
    rate = warmup_inverse_sqrt(config.lr, config.warmup_steps, step + config.schedule_offset)
    return rate * min(1.0, (step + 1) / config.stage_warmup) if config.schedule_offset else rate


class TokenTagger:
    """Tags whole documents with a torch EditTagger the way the engine will with ONNX: benchmark tokens,
    windows of at most `window_words` words, probabilities at each word's first/last piece."""

    def __init__(self, model: EditTagger, sp, vocab: TagVocab, window_words: int = 48):
        self.model, self.sp, self.vocab, self.window_words = model, sp, vocab, window_words
        self.cache: dict | None = None  # window -> probabilities (float16), while a sweep reads them many times

    @torch.no_grad()
    def probabilities(self, windows: list[list[str]], batch_size: int = 32) -> list[tuple[np.ndarray, np.ndarray]]:
        was_training = self.model.training
        self.model.eval()
        results = []
        for start in range(0, len(windows), batch_size):
            group = windows[start:start + batch_size]
            room = self.model.config.max_seq_len - 2  # a single over-long token keeps its leading pieces
            pieces = [[p[:room] for p in token_pieces(self.sp, tokens)] for tokens in group]
            ids = [[self.sp.bos_id(), *(i for p in ps for i in p), self.sp.eos_id()] for ps in pieces]
            width = max(len(row) for row in ids)
            batch = torch.full((len(ids), width), self.model.config.pad_id, dtype=torch.long)
            for row, values in enumerate(ids):
                batch[row, :len(values)] = torch.tensor(values)
            word_logits, mark_logits = self.model(batch)
            word_probs, mark_probs = word_logits.softmax(-1).numpy(), mark_logits.softmax(-1).numpy()
            for row, ps in enumerate(pieces):
                first, last = piece_positions(ps)
                results.append((word_probs[row, first], mark_probs[row, last]))
        self.model.train(was_training)
        return results

    def windows(self, tokens: list[str]) -> list[list[str]]:
        """Runs of at most window_words tokens whose pieces fit the model (bos and eos included)."""
        room = self.model.config.max_seq_len - 2
        sizes = [min(len(p), room) for p in token_pieces(self.sp, tokens)] if tokens else []
        windows, start, used = [], 0, 0
        for k, size in enumerate(sizes):
            if k > start and (k - start >= self.window_words or used + size > room):
                windows.append(tokens[start:k])
                start, used = k, 0
            used += size
        return windows + [tokens[start:]] if tokens else [[]]

    def correct(self, documents: list[list[str]], policies: list[TagPolicy], passes: int = 1) -> list[list[str]]:
        """One corrected token list per (policy, document), policy-major; each pass re-tags the last output.
        Windows are tagged once however many policies read them (the first pass reads the same windows)."""
        outputs = [[list(doc) for doc in documents] for _ in policies]
        for _ in range(passes):
            tagged = self.cache if self.cache is not None else {}
            keys = list({tuple(w): None for out in outputs for doc in out for w in self.windows(doc)
                         if w and tuple(w) not in tagged})
            for key, (word_probs, mark_probs) in zip(keys, self.probabilities([list(k) for k in keys])):
                tagged[key] = (word_probs.astype(np.float16), mark_probs.astype(np.float16))
            for p, policy in enumerate(policies):
                corrected = []
                for doc in outputs[p]:
                    tokens: list[str] = []
                    for window in (w for w in self.windows(doc) if w):
                        word_probs, mark_probs = tagged[tuple(window)]
                        tokens.extend(apply_tags([c.tagged for c in choose_tags(
                            window, word_probs, mark_probs, self.vocab, policy)]))
                    corrected.append(tokens)
                outputs[p] = corrected
        return outputs


WORD_THRESHOLDS = (0.3, 0.5, 0.7, 0.9)
MARK_THRESHOLDS = (0.3, 0.5, 0.7, 0.9, 1.01)  # 1.01: no marks at all


def evaluate_on_dev(tagger: TokenTagger, dev, log=print) -> dict:
    """Dev F0.5 for a small threshold sweep (word threshold with marks off, then marks at the best one);
    the best policy by F0.5 with punctuation, its no-punctuation score, and both with a second pass."""
    from nahawi.text.punct import tokenize_punct
    from training.evaluate import score_dev_hypotheses

    documents = [tokenize_punct(doc).split() for doc in dev.sources[:dev.limit]]
    tagger.cache = {}
    word_policies = [TagPolicy(w, 1.01) for w in WORD_THRESHOLDS]
    outputs = tagger.correct(documents, word_policies)
    scored = []
    for policy, hypotheses in zip(word_policies, outputs):
        scored.append((policy, score_dev_hypotheses([" ".join(h) for h in hypotheses], dev)))
    best_word = max(scored, key=lambda item: item[1]["no_punct"]["f0.5"] if "no_punct" in item[1]
                    else item[1]["with_punct"]["f0.5"])[0]
    mark_policies = [TagPolicy(best_word.word_threshold, m) for m in MARK_THRESHOLDS[:-1]]
    for policy, hypotheses in zip(mark_policies, tagger.correct(documents, mark_policies)):
        scored.append((policy, score_dev_hypotheses([" ".join(h) for h in hypotheses], dev)))
    for policy, scores in scored:
        log(f"  dev word≥{policy.word_threshold} mark≥{policy.mark_threshold}: " + _line(scores))
    policy, scores = max(scored, key=lambda item: item[1]["with_punct"]["f0.5"])
    [twice] = tagger.correct(documents, [policy], passes=2)  # the first pass comes from the cache
    two_passes = score_dev_hypotheses([" ".join(h) for h in twice], dev)
    log("  dev the same, two passes: " + _line(two_passes))
    tagger.cache = None
    return {"policy": dataclasses.asdict(policy), **scores, "two_passes": two_passes,
            "sweep": [{"policy": dataclasses.asdict(p), **s} for p, s in scored]}


def _line(scores: dict) -> str:
    return ", ".join(f"{name} P {s['precision']:.3f} R {s['recall']:.3f} F0.5 {s['f0.5']:.4f}"
                     for name, s in scores.items())


class TaggerTrainer(StoppableRun):
    def __init__(self, config: TaggerConfig, log=print):
        import sentencepiece as spm

        torch.set_num_threads(config.threads)
        map_large_blocks()
        self.config, self.log = config, log
        self.out = Path(config.out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.sp = spm.SentencePieceProcessor(model_file=config.tokenizer)
        init = self._init_payload() if config.init_tagger else None  # read once: the model's shape and weights
        self.vocab, self.examples, summary = cached_examples(
            Path(config.train), Path(config.tokenizer), self.out / "examples", config.max_rewrites,
            config.min_rewrite_count, config.max_pieces, log, config.train_pairs, config.derive_workers,
            tuple(config.mark_origins), TagVocab.from_json(init["tags"]) if init and config.init_tags else None)
        log(f"examples: {summary['examples']:,} ({summary['pieces']:,} pieces), {len(self.vocab)} word tags "
            f"covering {summary['word_edits_in_vocab'] / max(1, summary['word_edits']):.1%} of word edits")
        self.vocab.save(self.out / "tags.json")
        self.model_config, encoder_state, self.encoder_info = self._encoder(init)
        torch.manual_seed(config.seed)
        self.model = EditTagger(self.model_config, len(self.vocab), len(self.vocab.marks))
        if init is not None:
            if TagVocab.from_json(init["tags"]).to_json() != self.vocab.to_json():
                raise ConfigError(f"{config.init_tagger} was trained with other tags than {config.train} gives "
                                  f"(max_rewrites, min_rewrite_count, train_pairs must be the same; init_tags keeps its tags on new pairs)")
            self.model.load_state_dict(init["model_state_dict"])
        if encoder_state is not None:
            missing, unexpected = self.model.load_state_dict(encoder_state, strict=False)
            if unexpected or any(not k.startswith(("word_head.", "mark_head.")) for k in missing):
                raise ConfigError(f"{config.encoder} does not fit the tagger: missing {missing[:3]}, "
                                  f"unexpected {unexpected[:3]}")
        self.optimizer = torch.optim.AdamW(decay_groups(self.model, config.weight_decay), lr=config.lr,
                                           betas=(0.9, 0.98), eps=1e-6)
        self.bf16 = config.bf16 and cpu_has_bf16()
        self.state = {"step": 0, "epoch": 0, "batch": 0, "pieces": 0, "history": [], "best": None,
                      "encoder": self.encoder_info}
        (self.out / "config.json").write_text(json.dumps(
            {"tagger": dataclasses.asdict(config), "model": self.model_config.to_dict(),
             "encoder": self.encoder_info}, indent=2) + "\n")

    def _encoder(self, init: dict | None = None) -> tuple[ModelConfig, dict | None, dict]:
        if init is not None:  # a second stage: the tagger's own shape; its weights are loaded whole
            return (dataclasses.replace(ModelConfig.from_dict(init["config"]), dropout=self.config.dropout), None,
                    {"path": "", "init_tagger": self.config.init_tagger, "step": init.get("step"),
                     "encoder": init.get("encoder")})
        if not self.config.encoder:
            config = dataclasses.replace(preset(self.config.model), vocab_size=self.sp.vocab_size(),
                                         dropout=self.config.dropout)
            return config, None, {"path": "", "note": "random init"}
        state, config, payload = load_encoder(self.config.encoder)
        if config.vocab_size != self.sp.vocab_size():
            raise ConfigError(f"{self.config.encoder} has a vocabulary of {config.vocab_size}, "
                              f"{self.config.tokenizer} of {self.sp.vocab_size()}")
        trainer_state = payload.get("trainer_state", {})  # a pretraining last.pt rather than an encoder.pt
        info = {"path": self.config.encoder, "step": payload.get("step", trainer_state.get("step")),
                "tokens": payload.get("tokens", trainer_state.get("tokens")), "held_out": payload.get("held_out")}
        return dataclasses.replace(config, dropout=self.config.dropout), state, info

    def _init_payload(self) -> dict:
        payload = safe_load(self.config.init_tagger)
        if not isinstance(payload, dict) or not {"model_state_dict", "config", "tags"} <= payload.keys():
            raise ConfigError(f"{self.config.init_tagger}: not a tagger checkpoint (needs model_state_dict, config "
                              f"and tags)")
        if payload["config"].get("vocab_size") != self.sp.vocab_size():
            raise ConfigError(f"{self.config.init_tagger} has a vocabulary of {payload['config'].get('vocab_size')}, "
                              f"{self.config.tokenizer} of {self.sp.vocab_size()}")
        return payload

    def loss_on(self, ids: Tensor, words: Tensor, marks: Tensor) -> tuple[Tensor, dict]:
        # the heads read only the labelled pieces (a word's first, a mark's last): the word head's 3,000-way
        # softmax over every piece, padding included, was a fifth of a step
        labelled_words, labelled_marks = words != IGNORE, marks != IGNORE
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            hidden = self.model.encode(ids)
            word_logits = self.model.word_head(hidden[labelled_words])
            mark_logits = self.model.mark_head(hidden[labelled_marks])
        word_loss = F.cross_entropy(word_logits.float(), words[labelled_words])
        has_marks = bool(labelled_marks.any())
        mark_loss = F.cross_entropy(mark_logits.float(), marks[labelled_marks]) if has_marks else word_loss.new_zeros(())
        return word_loss + self.config.mark_loss_weight * mark_loss, {"word": word_loss.item(),
                                                                      "mark": mark_loss.item()}

    def resume(self) -> None:
        super().resume()
        self.encoder_info = self.state.setdefault("encoder", self.encoder_info)  # the run's start, not today's file

    def resumed(self) -> str:
        return f"epoch {self.state['epoch']}, batch {self.state['batch']}"

    def _payload(self) -> dict:
        return {"model_state_dict": self.model.state_dict(), "config": self.model_config.to_dict(),
                "tags": self.vocab.to_json(), "tokenizer": self.config.tokenizer, "step": self.state["step"],
                "schedule_offset": self.config.schedule_offset, "encoder": self.encoder_info}

    def save(self) -> None:
        save_atomically({**self._payload(), "optimizer": self.optimizer.state_dict(),
                         "trainer_state": self.state, "tagger_config": dataclasses.asdict(self.config)},
                        self.out / "last.pt")

    def evaluate(self) -> dict | None:
        from training.evaluate import load_qalb14_dev

        try:
            dev = load_qalb14_dev(self.config.data_root, self.config.dev_documents)
        except OSError as error:
            self.log(f"dev evaluation skipped: QALB-2014 dev not readable under {self.config.data_root} ({error})")
            return None
        started = time.time()
        scores = evaluate_on_dev(TokenTagger(self.model, self.sp, self.vocab), dev, self.log)
        scores["seconds"] = round(time.time() - started, 1)
        return scores

    def describe(self) -> str:
        return (f"tagger: {self.model.num_parameters() / 1e6:.1f}M parameters, encoder {self.encoder_info}; "
                f"bf16 {self.bf16}; {torch.get_num_threads()} thread(s)")

    def _loop(self, end: int) -> None:
        self.model.train()
        lengths = self.examples.lengths()
        started, seen, losses = time.time(), 0, []
        while self.state["step"] < end and not self.stop_requested:
            batches = epoch_batches(lengths, self.config.batch_pieces,
                                    np.random.default_rng([self.config.seed, self.state["epoch"]]))
            while self.state["batch"] < len(batches) and self.state["step"] < end and not self.stop_requested:
                ids, words, marks = collate(self.examples, batches[self.state["batch"]], self.model_config.pad_id)
                lr = learning_rate(self.config, self.state["step"])
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
                loss, parts = self.loss_on(ids, words, marks)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip_norm)
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
                self.state["step"] += 1
                self.state["batch"] += 1
                self.state["pieces"] += int((ids != self.model_config.pad_id).sum())
                seen += ids.numel()
                losses.append((parts["word"], parts["mark"]))
                self._after_step(lr, seen / (time.time() - started), losses)
            if self.state["batch"] >= len(batches):
                self.state["epoch"] += 1
                self.state["batch"] = 0

    def _after_step(self, lr: float, rate: float, losses: list[tuple[float, float]]) -> None:
        step, config = self.state["step"], self.config
        if step % config.log_every == 0:
            word, mark = np.mean(losses[-config.log_every:], axis=0)
            self.log(f"step {step} epoch {self.state['epoch']} word {word:.4f} mark {mark:.4f} lr {lr:.2e} "
                     f"{rate:,.0f} pieces/s seen {self.state['pieces'] / 1e6:.1f}M")
        if step % config.eval_every == 0:
            scores = self.evaluate()
            if scores is not None:
                entry = {"step": step, "pieces": self.state["pieces"], "policy": scores["policy"],
                         **{k: scores[k] for k in ("with_punct", "no_punct") if k in scores}}
                self.state["history"].append(entry)
                f05 = scores["with_punct"]["f0.5"]
                self.log(f"dev @ {step}: F0.5 {f05:.4f} / {scores.get('no_punct', {}).get('f0.5', float('nan')):.4f} "
                         f"at {scores['policy']} ({scores['seconds']} s)")
                if self.state["best"] is None or f05 > self.state["best"]["with_punct"]["f0.5"]:
                    self.state["best"] = entry
                    save_atomically({**self._payload(), "dev": entry}, self.out / "tagger.pt")
        if step % config.save_every == 0 or step % config.eval_every == 0:
            self.save()


def load_tagger(path: str | Path) -> tuple[EditTagger, TagVocab, dict]:
    """(model in eval mode, tag vocabulary, payload) from a tagger.pt or a training last.pt."""
    payload = safe_load(path)
    if not isinstance(payload, dict) or not {"model_state_dict", "config", "tags"} <= set(payload):
        raise ConfigError(f"{path}: not a tagger checkpoint (needs model_state_dict, config and tags)")
    vocab = TagVocab.from_json(payload["tags"], str(path))
    model = EditTagger(ModelConfig.from_dict(payload["config"]), len(vocab), len(vocab.marks))
    model.load_state_dict(payload["model_state_dict"])
    return model.eval(), vocab, payload
