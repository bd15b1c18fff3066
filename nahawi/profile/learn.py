"""How `nahawi adapt` learns a writer: from their documents and their decisions, cheapest first.

1. Vocabulary: the words and word pairs of the writer's own clean documents go into the overlay
   (nahawi.profile.overlay); a suggestion the engine still makes on those documents is a suggestion the
   writer would ignore, and is added to the decisions as one.
2. The suggestion gate, refitted: each decision on a lexicon suggestion is an example for the lexicon
   gate's features (nahawi.lexicon_gate: how much more frequent, the context margin, which letters change
   where, never the word), each decision on a mark one for the punctuation model's features of that gap
   and that mark. The writer's weights are a logistic regression on those examples with the shipped
   model's log-odds as offset and an L2 penalty pulling every weight to 0 (no data: no change); an ignored
   suggestion pushes down the weight of each of its features, so suggestions like it go too, not only
   its word.
3. Per-kind thresholds: the least confidence a kind must reach for this writer, raised from the
   shipped one when the refitted confidences say the writer ignores what lies below.
4. Memory: a suggestion ignored between the same two neighbours is not made there again, and a
   (word, replacement) pair ignored `pair_min_ignored` times and never accepted is not made anywhere.
Fitting is numpy over a few thousand examples: seconds. Knows nothing of files or of the CLI.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nahawi.lexicon import Lexicon, neighbours
from nahawi.lexicon_gate import gate_features
from nahawi.profile.decisions import Decision
from nahawi.profile.store import LEARNED_FORMAT
from nahawi.profile.writer import Neighbours
from nahawi.punctuation import LABELS, LOOKAHEAD, PunctuationModel, features_between, split_marks
from nahawi.text.chars import strip_diacritics
from nahawi.text.tokens import model_tokens

LEXICON_KINDS = frozenset({"hamza", "ta_marbuta", "alif_maqsura", "letter_confusion", "morphology", "other"})


@dataclass(frozen=True)
class AdaptConfig:
    l2: float = 1.0  # penalty on each writer weight (larger: closer to the shipped model)
    steps: int = 300  # gradient steps of the fit
    learning_rate: float = 0.5
    max_weight: float = 8.0  # a writer weight is clipped to ±this
    lower_only: bool = True  # writer weights only lower confidences: the decisions are all on suggestions
    # the shipped threshold let through, so they say what to stop showing, not what else to show
    pair_min_ignored: int = 2  # a pair ignored this often and never accepted is suppressed everywhere
    threshold_min_examples: int = 5  # decisions of a kind needed before its threshold is learned
    threshold_cost: float = 1.0  # an ignored suggestion still shown costs this many accepted ones


@dataclass(frozen=True)
class Example:
    features: tuple  # names (the gate's) or (name, mark) pairs (the punctuation model's)
    offset: float  # the shipped model's log-odds for the suggestion
    accepted: bool
    kind: str
    default: float  # the shipped threshold the suggestion had to reach


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def gate_example(decision: Decision, lexicon: Lexicon) -> Example | None:
    """The lexicon-gate example of a decision that respells one whole word, else None."""
    if decision.kind not in LEXICON_KINDS or decision.rule_id not in ("", "lexicon", "spacing") \
            or lexicon is None or lexicon.gate is None:
        return None
    tokens = model_tokens(decision.text)
    index = next((k for k, t in enumerate(tokens) if (t.start, t.end) == (decision.start, decision.end)), None)
    usual = strip_diacritics(decision.replacement)
    if index is None or not usual or any(ch.isspace() for ch in usual):
        return None
    words = [strip_diacritics(t.text) for t in tokens]
    features = gate_features(lexicon, words[index], usual, *neighbours(lexicon.as_context(words), index))
    offset = sum(lexicon.gate.weights.get(name, 0.0) for name in features)
    return Example(tuple(features), offset, decision.accepted, decision.kind, lexicon.config.gate_threshold)


def _line(decision: Decision) -> tuple[str, int, int]:
    start = decision.text.rfind("\n", 0, decision.start) + 1
    end = decision.text.find("\n", decision.end)
    end = len(decision.text) if end < 0 else end
    return decision.text[start:end], decision.start - start, decision.end - start


def punctuation_example(decision: Decision, model: PunctuationModel | None) -> Example | None:
    """The punctuation example of a decision that puts a mark in a gap (an insertion right after a word,
    or a Latin mark replaced), else None: the features the model saw there, for the mark proposed."""
    if model is None or decision.kind != "punctuation" or decision.replacement not in LABELS[1:]:
        return None
    line, start, end = _line(decision)
    words, marks = split_marks(model_tokens(line), lambda t: t.text)
    last_mark = -1
    for index, (word, after) in enumerate(zip(words, marks)):
        at_gap = (start == end == word.end and not after) or (bool(after) and (after[0].start, after[0].end) == (start, end))
        if at_gap:
            bare = [strip_diacritics(w.text) for w in words[max(0, index - 1):index + 2]]
            before = bare[0] if index > 0 else "<s>"
            right = bare[-1] if index + 1 < len(words) else "</s>"
            written = " ".join(m.text for m in after)
            remaining = min(len(words) - index - 1, LOOKAHEAD + 1)
            names = features_between(before, strip_diacritics(word.text), right, remaining, written,
                                     index - last_mark, model.priors)
            p = model.probabilities(names)[LABELS.index(decision.replacement)]
            return Example(tuple((n, decision.replacement) for n in names), _logit(p), decision.accepted,
                           decision.kind, model.threshold)
        if after:
            last_mark = index
    return None


def fit_weights(examples: Sequence[Example], config: AdaptConfig) -> dict:
    """Writer weights w minimising Σ logloss(accepted, σ(offset + Σ w[f])) + l2/2 · |w|², by full-batch
    gradient descent; weights left at 0 are not returned."""
    if not examples:
        return {}
    names = sorted({f for e in examples for f in e.features}, key=str)
    number = {f: k for k, f in enumerate(names)}
    rows = np.repeat(np.arange(len(examples)), [len(e.features) for e in examples])
    cols = np.array([number[f] for e in examples for f in e.features], dtype=np.int64)
    offsets = np.array([e.offset for e in examples])
    targets = np.array([float(e.accepted) for e in examples])
    weights = np.zeros(len(names))
    for _ in range(config.steps):
        scores = offsets + np.bincount(rows, weights[cols], minlength=len(examples))
        errors = 1.0 / (1.0 + np.exp(-np.clip(scores, -30, 30))) - targets  # d logloss / d score
        gradient = np.bincount(cols, errors[rows], minlength=len(names)) + config.l2 * weights
        high = 0.0 if config.lower_only else config.max_weight
        weights = np.clip(weights - config.learning_rate * gradient, -config.max_weight, high)
    return {f: round(float(w), 4) for f, w in zip(names, weights) if abs(w) >= 1e-4}


def adjusted(example: Example, weights: dict) -> float:
    score = example.offset + sum(weights.get(f, 0.0) for f in example.features)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))


def _utility(decided: list[tuple[float, bool, float]], threshold: float, cost: float) -> float:
    """Accepted suggestions shown minus `cost` per ignored one shown, at `threshold`."""
    shown = [ok for p, ok, _ in decided if p >= threshold]
    return sum(shown) - cost * (len(shown) - sum(shown))


def kind_thresholds(examples: Sequence[Example], weights: dict, config: AdaptConfig) -> dict[str, float]:
    """Per kind, the threshold (from the shipped one up) that keeps the most accepted suggestions for the
    fewest ignored ones (`threshold_cost` each), on the refitted confidences; only those raised."""
    found = {}
    for kind in sorted({e.kind for e in examples}):
        mine = [(adjusted(e, weights), e.accepted, e.default) for e in examples if e.kind == kind]
        if len(mine) < config.threshold_min_examples:
            continue
        default = max(d for _, _, d in mine)
        candidates = sorted({default} | {round(p + 1e-4, 4) for p, ok, _ in mine if not ok and p >= default})
        best = max(candidates, key=lambda t, mine=mine: (_utility(mine, t, config.threshold_cost), -t))
        if best > default:
            found[kind] = best
    return found


def memory(decisions: Sequence[Decision], config: AdaptConfig) -> tuple[list, list]:
    """(suppressed pairs, suppressed contexts) from the decisions, sorted (see the module docstring); in
    one context the later decisions outvote the earlier only by number."""
    accepted, ignored, contexts = Counter(), Counter(), Counter()
    indexes: dict[str, Neighbours] = {}
    for d in decisions:
        (accepted if d.accepted else ignored)[d.original, d.replacement] += 1
        index = indexes.setdefault(d.text, Neighbours(d.text))
        contexts[index.key(d.start, d.end, d.replacement)] += -1 if d.accepted else 1
    pairs = sorted([o, r] for (o, r), n in ignored.items() if n >= config.pair_min_ignored and not accepted[o, r])
    return pairs, sorted(list(key) for key, balance in contexts.items() if balance > 0)


def learn(decisions: Sequence[Decision], lexicon: Lexicon | None, punctuation: PunctuationModel | None,
          config: AdaptConfig = AdaptConfig()) -> dict:
    """learned.json's content from the decisions (`lexicon`: with the writer's overlay and the shipped
    gate; `punctuation`: the shipped model)."""
    gate = [e for d in decisions if (e := gate_example(d, lexicon)) is not None]
    marks = [e for d in decisions if (e := punctuation_example(d, punctuation)) is not None]
    gate_weights, mark_weights = fit_weights(gate, config), fit_weights(marks, config)
    thresholds = kind_thresholds(gate, gate_weights, config) | kind_thresholds(marks, mark_weights, config)
    rows: dict[str, dict[str, float]] = {}
    for (name, label), value in mark_weights.items():
        rows.setdefault(name, {})[label] = value
    pairs, contexts = memory(decisions, config)
    accepted = sum(d.accepted for d in decisions)
    summary = {"decisions": len(decisions), "accepted": accepted, "ignored": len(decisions) - accepted,
               "gate_examples": len(gate), "punctuation_examples": len(marks)}
    return {"format": LEARNED_FORMAT, "thresholds": thresholds, "gate": gate_weights, "punctuation": rows,
            "suppressed_pairs": pairs, "suppressed_contexts": contexts, "summary": summary}
