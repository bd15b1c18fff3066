"""The lexicon gate: a learned check on each spelling the lexicon suggests, so that a valid word is not
respelled into a more frequent one (`إنا` → `أنا`, `آمين` → `أمين`) while the usual fixes go through.

The gate is a logistic regression over a few general features of one suggestion — how much more frequent
the suggestion is, how common the written word is, how strongly the neighbouring words prefer it, which
letters change and where (`ا>أ@I`: a bare alif becomes hamza-on-alif at the word's start), whether it is a
repair of an unknown word and what it supplies (a ذ, a ء, the alif of a final «وا») — never the identity of
the word itself. `training/lexicon_gate.py` fits it on the real train pairs. This module owns the features, the
probability and the file format; it knows nothing of how the weights were fitted or which threshold a policy picks.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from nahawi.errors import ModelError
from nahawi.lexicon import PROCLITICS, SENTENCE_START, Lexicon, fold_variants, supplied

FORMAT = "nahawi-lexicon-gate"
FEATURES_VERSION = 1  # bump when gate_features changes meaning: weights of another version are refused
# (a new feature name is no change of meaning: older weights give it none, so their probabilities stand)


def _bucket(value: float, step: float, low: int, high: int) -> int:
    return max(low, min(high, math.floor(value / step)))


def _position(word: str, index: int) -> str:
    """I (first letter), P (right after a one-letter proclitic or «ال»), F (last letter), M (elsewhere)."""
    if index == 0:
        return "I"
    if index == len(word) - 1:
        return "F"
    after_prefix = (index == 1 and word[0] in PROCLITICS) or (index >= 2 and word[index - 2:index] == "ال")
    return "P" if after_prefix else "M"


def letter_changes(word: str, usual: str) -> list[str]:
    """`a>b@P` for each letter that differs between two spellings of the same length, [] otherwise."""
    if len(word) != len(usual):
        return []
    return [f"{a}>{b}@{_position(word, i)}" for i, (a, b) in enumerate(zip(word, usual)) if a != b]


def gate_features(lexicon: Lexicon, word: str, usual: str, before: str, after: str) -> list[str]:
    """The feature names of one suggestion `word` → `usual` between the tokens `before` and `after`."""
    written, frequent = lexicon.tables.count(word), lexicon.tables.count(usual)
    ratio = math.log10(frequent + 1) - math.log10(written + 1)
    margin = lexicon.context_score(usual, before, after) - lexicon.context_score(word, before, after)
    features = ["bias", f"ratio={_bucket(ratio, 0.5, -3, 6)}", f"written={_bucket(math.log10(written + 1), 0.5, -3, 6)}",
                f"usual={_bucket(math.log10(frequent + 1), 0.5, -3, 6)}", f"context={_bucket(margin, 1.0, -4, 6)}",
                f"length={min(len(word), 9)}"]
    changes = letter_changes(word, usual)
    if not changes or fold_variants(word) != fold_variants(usual):
        features.append("repair")
        features += [f"supplies={mark}" for mark in supplied(word, usual)]
    for change in changes:
        features += [f"change={change}", f"letters={change.split('@')[0]}"]
    if before == SENTENCE_START:
        features.append("sentence_start")
    return features


class LexiconGate:
    def __init__(self, weights: dict[str, float]):
        self.weights = weights

    def probability(self, features: list[str]) -> float:
        score = sum(self.weights.get(name, 0.0) for name in features)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))

    def confidence(self, lexicon: Lexicon, word: str, usual: str, before: str, after: str) -> float:
        """P(the suggestion is a correction a reviewer would make), as fitted on the real train pairs."""
        return self.probability(gate_features(lexicon, word, usual, before, after))


def save_gate(path: str | Path, weights: dict[str, float], report: dict | None = None) -> None:
    payload = {"format": FORMAT, "features_version": FEATURES_VERSION,
               "weights": {k: round(v, 5) for k, v in sorted(weights.items())}, "training": report or {}}
    Path(path).write_text(json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def load_gate(path: str | Path) -> LexiconGate:
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ModelError(f"{path}: unreadable lexicon gate ({error})") from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{path}: not a {FORMAT} file")
    if payload.get("features_version") != FEATURES_VERSION:
        raise ModelError(f"{path}: lexicon gate features version {payload.get('features_version')!r}, "
                         f"this nahawi reads {FEATURES_VERSION}; retrain it with `nahawi train lexicon-gate`")
    weights = payload.get("weights")
    if not isinstance(weights, dict) or not all(isinstance(v, (int, float)) for v in weights.values()):
        raise ModelError(f"{path}: malformed lexicon gate weights")
    return LexiconGate({str(k): float(v) for k, v in weights.items()})
