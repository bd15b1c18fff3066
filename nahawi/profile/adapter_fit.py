"""Fitting a writer's tagger adapter (nahawi.profile.adapter) from their decisions, in numpy.

Every decision is a pair of texts: the one the suggestion was made on and the one it would make. The tags
that turn the first into the second (`nahawi.tag_derive`) name the tokens it touches and what the tagger
should say there: for an accepted suggestion its tags (a rewrite outside the tagger's vocabulary teaches
the word head nothing), for an ignored one KEEP and no mark — on the heads it touched. The other tokens of
those texts are anchors: their target is the tagger's own distribution, so what the writer did not decide
about stays as it was. The loss is cross-entropy of softmax(log p + shift) (shift = the adapter's
low-rank correction of the states), anchors weighted down, the low-rank matrices pulled to zero, full-batch
Adam. The word head has thousands of classes: each token's softmax runs over its `candidates` most probable
classes, its target class and one column for the rest of the mass (held at the tagger's own logit) — the
classes left out have probabilities the adapter's small shifts cannot make matter.
Knows nothing of files (`TaggerAdapter.save`) or of the CLI.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nahawi.engine.mapping import model_input
from nahawi.profile.adapter import HeadAdapter, TaggerAdapter
from nahawi.profile.decisions import Decision
from nahawi.tag_derive import derive_tags
from nahawi.tags import KEEP, NO_MARK

Stop = Callable[[], None]  # called between steps; it raises to stop the fitting


@dataclass(frozen=True)
class AdapterConfig:
    rank: int = 8
    alpha: float = 16.0  # shift scale = alpha / rank, as LoRA
    steps: int = 200
    learning_rate: float = 0.02
    l2: float = 1e-3  # pull of both matrices towards 0, per example weight
    anchor_weight: float = 0.2  # an anchor token's weight against a decided token's 1
    document_weight: float = 0.5  # a token of the writer's documents (their own clean text: kept as written)
    max_document_tokens: int = 20_000  # sampled at most (per head)
    max_anchors: int = 20_000  # anchor tokens sampled at most (per head)
    candidates: int = 16  # word-head classes in each token's softmax (its most probable ones)
    min_decided: int = 1  # fewer decided tokens than this: no adapter
    # an accepted suggestion teaches the tagger only where it already gives that tag this probability: the
    # other stages' suggestions are theirs to make, and pushing the tagger towards them spread them to other
    # words (ZAEBUC simulated writer, step-1,000 tagger: unseen F0.5 80.1 -> 69.3, false alarms x14)
    min_accepted_probability: float = 0.05
    seed: int = 13


@dataclass
class HeadExamples:
    """One head's training rows: the state read, the tagger's probabilities, a target class (or -1 for an
    anchor: the tagger's own distribution) and where the row comes from (a decision, the writer's
    documents or an anchor), which sets its weight."""
    hidden: list[np.ndarray]
    probs: list[np.ndarray]
    target: list[int]
    origin: list[str]

    @classmethod
    def empty(cls) -> HeadExamples:
        return cls([], [], [], [])

    def add(self, hidden: np.ndarray, probs: np.ndarray, target: int, origin: str = "decision") -> None:
        self.hidden.append(hidden)
        self.probs.append(probs)
        self.target.append(target)
        self.origin.append(origin if target >= 0 else "anchor")

    @property
    def decided(self) -> int:
        return self.origin.count("decision")

    def weights(self, config: AdapterConfig) -> np.ndarray:
        table = {"decision": 1.0, "document": config.document_weight, "anchor": config.anchor_weight}
        return np.array([table[o] for o in self.origin])


@dataclass(frozen=True)
class AdapterReport:
    adapter: TaggerAdapter | None  # None: no decision touched a token the tagger can be taught about
    word_decided: int  # tokens whose word tag a decision set
    mark_decided: int  # ... whose mark
    steps: int
    seconds: float

    def to_dict(self) -> dict:
        return {"fitted": self.adapter is not None, "word_decided": self.word_decided,
                "mark_decided": self.mark_decided, "steps": self.steps, "seconds": round(self.seconds, 2),
                "loss": self.adapter.info.get("loss", {}) if self.adapter is not None else {}}


def decision_examples(stage, decisions: Sequence[Decision], config: AdapterConfig, documents: Sequence[str] = ()
                      ) -> tuple[HeadExamples, HeadExamples]:
    """The decided tokens of every decision and the anchors around them, for the word and the mark head, and
    the tokens of the writer's document lines, each to be kept as written."""
    texts = list(dict.fromkeys(d.text for d in decisions))
    lines = list(dict.fromkeys(line for line in documents if line.strip()))
    read = list(dict.fromkeys([*texts, *lines]))  # a document line is often a decision's text too: read once
    sources = {text: model_input(text) for text in read}
    outputs = dict(zip(read, stage.outputs([sources[t] for t in read], hidden=True)))
    vocab = stage.vocab
    keep, no_mark = vocab.word_id(KEEP), vocab.mark_id(NO_MARK)
    word, mark = HeadExamples.empty(), HeadExamples.empty()
    decided: dict[str, set[tuple[str, int]]] = {t: set() for t in texts}
    for d in decisions:
        source, out = sources[d.text], outputs[d.text]
        tokens = [t.text for t in source.tokens]
        suggested = model_input(d.text[:d.start] + d.replacement + d.text[d.end:])
        for i, tagged in enumerate(derive_tags(tokens, [t.text for t in suggested.tokens])):
            if out.frozen[i]:
                continue
            if tagged.word != KEEP:
                target = vocab.word_id(tagged.word) if d.accepted else keep
                if _teaches(target, out.word_probs[i], d.accepted, config):
                    word.add(out.word_hidden[i], out.word_probs[i], target)
                    decided[d.text].add(("word", i))
            if tagged.mark != NO_MARK:
                target = vocab.mark_id(tagged.mark) if d.accepted else no_mark
                if _teaches(target, out.mark_probs[i], d.accepted, config):
                    mark.add(out.mark_hidden[i], out.mark_probs[i], target)
                    decided[d.text].add(("mark", i))
    rng = np.random.default_rng(config.seed)
    for head, examples in (("word", word), ("mark", mark)):
        anchors = [(text, i) for text in texts for i in range(len(outputs[text].frozen))
                   if (head, i) not in decided[text] and not outputs[text].frozen[i]]
        if len(anchors) > config.max_anchors:
            anchors = [anchors[k] for k in sorted(rng.choice(len(anchors), config.max_anchors, replace=False))]
        for text, i in anchors:
            out = outputs[text]
            if head == "word":
                examples.add(out.word_hidden[i], out.word_probs[i], -1)
            else:
                examples.add(out.mark_hidden[i], out.mark_probs[i], -1)
    _document_examples(stage, [(sources[line], outputs[line]) for line in lines], config, word, mark, rng)
    return word, mark


def _document_examples(stage, read: Sequence[tuple], config: AdapterConfig, word: HeadExamples, mark: HeadExamples,
                       rng: np.random.Generator) -> None:
    """The writer's own clean lines (`read`: each one's source and the tagger's outputs with states): every
    token's tags are those that keep the line as it is (an edit the tagger leans towards there, even below its
    threshold, is one this writer does not want; without them an adapter fitted on accepted suggestions alone
    spread them to the writer's correct words)."""
    rows = []
    for source, out in read:
        tokens = [t.text for t in source.tokens]
        for i, tagged in enumerate(derive_tags(tokens, tokens)):
            if not out.frozen[i]:
                rows.append((out, i, tagged))
    if len(rows) > config.max_document_tokens:
        rows = [rows[k] for k in sorted(rng.choice(len(rows), config.max_document_tokens, replace=False))]
    for out, i, tagged in rows:
        if (target := stage.vocab.word_id(tagged.word)) is not None:
            word.add(out.word_hidden[i], out.word_probs[i], target, "document")
        if (target := stage.vocab.mark_id(tagged.mark)) is not None:
            mark.add(out.mark_hidden[i], out.mark_probs[i], target, "document")


def _teaches(target: int | None, probs: np.ndarray, accepted: bool, config: AdapterConfig) -> bool:
    """Whether a decided token is an example for its head (see AdapterConfig.min_accepted_probability)."""
    return target is not None and (not accepted or float(probs[target]) >= config.min_accepted_probability)


def fit_adapter(stage, decisions: Sequence[Decision], config: AdapterConfig = AdapterConfig(),
                stop: Stop | None = None, documents: Sequence[str] = ()) -> AdapterReport:
    """The writer's adapter for the tagger `stage` (a TaggerStage whose graph has states) from `decisions` and
    the lines of the writer's `documents`."""
    began = time.perf_counter()
    word, mark = decision_examples(stage, decisions, config, documents)
    if word.decided + mark.decided < config.min_decided:
        return AdapterReport(None, word.decided, mark.decided, 0, time.perf_counter() - began)
    rng = np.random.default_rng(config.seed)
    heads, losses = {}, {}
    for name, examples, classes in (("word", word, len(stage.vocab.word_tags)),
                                    ("mark", mark, len(stage.vocab.marks))):
        heads[name], losses[name] = fit_head(examples, classes, config, rng, stop)
    info = {"word_decided": word.decided, "mark_decided": mark.decided, "steps": config.steps,
            "rank": config.rank, "loss": losses}
    adapter = TaggerAdapter(heads["word"], heads["mark"], stage.fingerprint, info)
    return AdapterReport(adapter, word.decided, mark.decided, config.steps, time.perf_counter() - began)


def fit_head(examples: HeadExamples, classes: int, config: AdapterConfig, rng: np.random.Generator,
             stop: Stop | None = None) -> tuple[HeadAdapter, dict]:
    """The low-rank correction of one head (zero when it has no decided token) and its loss before/after."""
    width = examples.hidden[0].shape[-1] if examples.hidden else 0
    scale = config.alpha / config.rank
    down = (rng.standard_normal((config.rank, max(width, 1))) / np.sqrt(max(width, 1))).astype(np.float32)
    up = np.zeros((classes, config.rank), np.float32)
    if not any(t >= 0 for t in examples.target):  # nothing decided nor written for this head
        return HeadAdapter(down, up, scale), {}
    hidden = np.stack(examples.hidden).astype(np.float32)  # (N, d)
    columns, base_logits, soft_target, weight = _softmax_columns(examples, classes, config)
    weight = weight / weight.sum()
    moments = [np.zeros_like(down), np.zeros_like(down), np.zeros_like(up), np.zeros_like(up)]
    first_loss = last_loss = 0.0
    for step in range(1, config.steps + 1):
        if stop is not None:
            stop()
        projected = hidden @ down.T  # (N, r)
        shift = scale * np.einsum("nr,nkr->nk", projected, up[columns])  # (N, K); the rest column: 0
        shift[columns < 0] = 0.0
        logits = base_logits + shift
        logits -= logits.max(-1, keepdims=True)
        log_q = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        loss = float(-(weight * (soft_target * log_q).sum(-1)).sum())
        first_loss, last_loss = (loss if step == 1 else first_loss), loss
        grad_shift = (np.exp(log_q) - soft_target) * weight[:, None]  # (N, K)
        grad_shift[columns < 0] = 0.0
        grad_up = np.zeros_like(up)
        rows = scale * grad_shift[:, :, None] * projected[:, None, :]  # (N, K, r)
        np.add.at(grad_up, np.maximum(columns, 0), rows)
        grad_projected = scale * np.einsum("nk,nkr->nr", grad_shift, up[columns])
        grad_down = grad_projected.T @ hidden
        grad_up += config.l2 * up
        grad_down += config.l2 * down
        down = _adam(down, grad_down, moments[0], moments[1], step, config.learning_rate)
        up = _adam(up, grad_up, moments[2], moments[3], step, config.learning_rate)
    return HeadAdapter(down, up, scale), {"before": round(first_loss, 5), "after": round(last_loss, 5)}


def _softmax_columns(examples: HeadExamples, classes: int, config: AdapterConfig):
    """(columns (N, K): class ids, -1 for the rest-of-the-mass column; the tagger's log-probabilities there;
    the targets over those columns; each row's weight)."""
    probs = np.stack(examples.probs).astype(np.float64)  # (N, C)
    target = np.array(examples.target)
    n = len(target)
    k = min(config.candidates, classes)
    columns = np.argsort(-probs, axis=1)[:, :k]
    decided = target >= 0
    missing = decided & ~(columns == target[:, None]).any(1)
    columns[missing, -1] = target[missing]  # the target always has a column
    if k < classes:
        columns = np.concatenate([columns, np.full((n, 1), -1)], axis=1)
    chosen = np.take_along_axis(probs, np.maximum(columns, 0), axis=1)
    rest = np.clip(1.0 - np.where(columns >= 0, chosen, 0.0).sum(1), 1e-12, None)
    chosen = np.where(columns >= 0, chosen, rest[:, None])
    base_logits = np.log(np.maximum(chosen, 1e-30))
    soft_target = chosen / chosen.sum(1, keepdims=True)
    soft_target[decided] = (columns[decided] == target[decided, None]).astype(np.float64)
    weight = examples.weights(config)
    return columns, base_logits, soft_target, weight


def _adam(value: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, step: int, lr: float,
          beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> np.ndarray:
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad * grad
    update = lr * (m / (1 - beta1 ** step)) / (np.sqrt(v / (1 - beta2 ** step)) + eps)
    return (value - update).astype(np.float32)
