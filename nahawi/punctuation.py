"""Punctuation model: which mark belongs in each gap between two words.

A multinomial logistic regression over sparse context features of one gap (the words on each side, their
affixes, how far the last mark is, how near the end of the text, the mark already written there, and how
often the clean corpus puts a mark after the left word or before the right one). Trained by
`training.punctuation` on real QALB-2015 / ZAEBUC train pairs, the only data whose punctuation follows
the annotation guidelines. Decoding goes left to right so that a mark just placed counts as "the last
mark" for the next gap. A change is proposed only when the best mark differs from the written one and
its probability reaches `threshold` (dev-tuned). Works on word lists; knows nothing of offsets or models.
"""
from __future__ import annotations

import gzip
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from nahawi.errors import ModelError
from nahawi.text.punct import is_punct_char

LABELS = ("", "،", ".", "؟", ":", "؛", "!")  # "" = no mark
# Gaps training learns from: nothing, the model's own pausing marks and the Latin forms of its marks (a written
# «؟» or «!» is the writer's choice).
WRITTEN = frozenset({"", "،", ".", ":", "؛", ",", "?", ";"})
# What the engine may change: it inserts a mark where the writer left none, and turns a Latin mark into its
# Arabic form; a mark the writer wrote is never moved or deleted (on QALB-2014 dev that cost F0.5 and made 9
# of the stage's 11 false alarms on the corrected side, «،» → «؛» the commonest).
ARABIC_FORM = {",": "،", "?": "؟", ";": "؛"}
FORMAT = "nahawi-punctuation/1"


@dataclass(frozen=True)
class Gap:
    index: int  # the gap after word `index`
    written: str  # the mark the text has there ("" for none)
    proposed: str  # the model's mark
    probability: float


T = TypeVar("T")


def split_marks(tokens: Sequence[T], text: Callable[[T], str] = str) -> tuple[list[T], list[list[T]]]:
    """Benchmark tokens → the words and, for each word, the mark tokens that follow it (marks before the
    first word belong to no gap and are dropped). Shared by training (strings) and the engine (spans)."""
    words: list[T] = []
    marks: list[list[T]] = []
    for token in tokens:
        if all(map(is_punct_char, text(token))):
            if words:
                marks[-1].append(token)
        else:
            words.append(token)
            marks.append([])
    return words, marks


def _bucket(value: int, edges: tuple[int, ...]) -> int:
    return sum(value >= edge for edge in edges)


SINCE_EDGES = (1, 3, 6, 10, 15, 25)
LEFT_EDGES = (1, 2, 4, 8, 16)


def gap_features(words: list[str], index: int, written: str, since: int,
                 priors: dict[str, tuple[int, int]]) -> list[str]:
    """Feature names of the gap after words[index]; `since` = words since the last mark on the left."""
    left = words[index]
    right = words[index + 1] if index + 1 < len(words) else "</s>"
    before = words[index - 1] if index > 0 else "<s>"
    after_left, _ = priors.get(left, (-1, -1))
    _, before_right = priors.get(right, (-1, -1))
    remaining = _bucket(len(words) - index - 1, LEFT_EDGES)
    distance = _bucket(since, SINCE_EDGES)
    return ["bias", f"w={written}", f"l={left}", f"r={right}", f"lr={left}|{right}", f"bl={before}|{left}",
            f"ls={left[-2:]}", f"rp={right[:1]}", f"rp2={right[:2]}", f"d={distance}", f"e={remaining}",
            f"de={distance}|{remaining}", f"wd={written}|{distance}", f"ca={after_left}", f"cb={before_right}",
            f"cab={after_left}|{before_right}", f"cbd={before_right}|{distance}"]


class PunctuationModel:
    def __init__(self, weights: dict[str, list[float]], priors: dict[str, tuple[int, int]],
                 threshold: float = 0.8):
        self.weights, self.priors, self.threshold = weights, priors, threshold

    def probabilities(self, features: list[str]) -> list[float]:
        scores = [0.0] * len(LABELS)
        for name in features:
            row = self.weights.get(name)
            if row is not None:
                scores = [s + w for s, w in zip(scores, row)]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def gaps(self, words: list[str], written: list[str], threshold: float | None = None) -> list[Gap]:
        """Proposed changes for the gaps after each word; written[i] is what follows words[i]: "" (no mark),
        one mark, or several joined by spaces. An empty gap may get a mark, a Latin mark its Arabic form
        (`ARABIC_FORM`); every other gap is left as written."""
        limit = self.threshold if threshold is None else threshold
        changes, since = [], 0
        for index in range(len(words)):
            mark = written[index]
            since += 1
            if not mark or mark in ARABIC_FORM:
                probs = self.probabilities(gap_features(words, index, mark, since, self.priors))
                best = max(range(len(LABELS)), key=probs.__getitem__)
                wanted = ARABIC_FORM.get(mark, LABELS[best])
                if LABELS[best] == wanted != mark and probs[best] >= limit:
                    changes.append(Gap(index, mark, LABELS[best], round(probs[best], 4)))
                    mark = LABELS[best]
            if mark:
                since = 0
        return changes


def save_punctuation(path: str | Path, weights: dict[str, list[float]], priors: dict[str, tuple[int, int]],
                     threshold: float) -> None:
    payload = {"format": FORMAT, "labels": list(LABELS), "threshold": threshold,
               "weights": {k: [round(w, 4) for w in v] for k, v in sorted(weights.items())},
               "priors": {k: list(v) for k, v in sorted(priors.items())}}
    with gzip.GzipFile(path, "wb", mtime=0) as raw:
        raw.write(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def load_punctuation(path: str | Path, threshold: float | None = None) -> PunctuationModel:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            payload = json.load(handle)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{path}: unreadable punctuation model ({error})") from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or payload.get("labels") != list(LABELS):
        raise ModelError(f"{path}: not a {FORMAT} punctuation model")
    priors = {k: (int(a), int(b)) for k, (a, b) in payload["priors"].items()}
    chosen = float(payload["threshold"]) if threshold is None else threshold
    return PunctuationModel(payload["weights"], priors, chosen)
