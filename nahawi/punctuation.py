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
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TypeVar

import numpy as np

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
                 priors: Mapping[str, tuple[int, int]]) -> list[str]:
    """Feature names of the gap after words[index]; `since` = words since the last mark on the left."""
    right = words[index + 1] if index + 1 < len(words) else "</s>"
    before = words[index - 1] if index > 0 else "<s>"
    return features_between(before, words[index], right, len(words) - index - 1, written, since, priors)


LOOKAHEAD = LEFT_EDGES[-1]  # "how near the end" counts words up to this many: the model sees no further


def features_between(before: str, left: str, right: str, remaining: int, written: str, since: int,
                     priors: Mapping[str, tuple[int, int]]) -> list[str]:
    """`gap_features` from the words around the gap and the number of words after it (`remaining`: any
    value from LOOKAHEAD up gives the same features)."""
    after_left, _ = priors.get(left, (-1, -1))
    _, before_right = priors.get(right, (-1, -1))
    remaining = _bucket(remaining, LEFT_EDGES)
    distance = _bucket(since, SINCE_EDGES)
    return ["bias", f"w={written}", f"l={left}", f"r={right}", f"lr={left}|{right}", f"bl={before}|{left}",
            f"ls={left[-2:]}", f"rp={right[:1]}", f"rp2={right[:2]}", f"d={distance}", f"e={remaining}",
            f"de={distance}|{remaining}", f"wd={written}|{distance}", f"ca={after_left}", f"cb={before_right}",
            f"cab={after_left}|{before_right}", f"cbd={before_right}|{distance}"]


class PunctuationModel:
    """The model over its weights and priors: dicts as training makes them, or the Mapping views of a
    tables file (`PunctuationTables`: nothing parsed, pages mapped)."""

    def __init__(self, weights: Mapping[str, Sequence[float]], priors: Mapping[str, tuple[int, int]],
                 threshold: float = 0.8):
        self.weights, self.priors, self.threshold = weights, priors, threshold

    def probabilities(self, features: list[str]) -> list[float]:
        scores, weights = [0.0] * len(LABELS), self.weights
        if isinstance(weights, _Rows):  # the same sums, without a row list per feature
            index, values, width = weights.index, weights.values, weights.width
            for name in features:
                k = index.get(name)
                if k is not None:
                    scores = [s + w for s, w in zip(scores, values[k * width:(k + 1) * width])]
        else:
            for name in features:
                row = weights.get(name)
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
        return list(self.iter_gaps(zip(words, written, strict=True), threshold))

    def iter_gaps(self, pairs: Iterable[tuple[str, str]], threshold: float | None = None) -> Iterator[Gap]:
        """`gaps` over a stream of (word, written) pairs, holding only LOOKAHEAD pairs ahead of the gap it
        decides: a line of any length costs the same memory. Left to right, so that a mark just placed
        counts as "the last mark" for the next gap."""
        limit = self.threshold if threshold is None else threshold
        stream, ahead = iter(pairs), deque()
        ahead.extend(islice(stream, LOOKAHEAD + 1))
        before, since, index = "<s>", 0, 0
        while ahead:
            word, mark = ahead.popleft()
            ahead.extend(islice(stream, LOOKAHEAD + 1 - len(ahead)))
            since += 1
            if not mark or mark in ARABIC_FORM:
                right = ahead[0][0] if ahead else "</s>"
                probs = self.probabilities(features_between(before, word, right, len(ahead), mark, since, self.priors))
                best = max(range(len(LABELS)), key=probs.__getitem__)
                wanted = ARABIC_FORM.get(mark, LABELS[best])
                if LABELS[best] == wanted != mark and probs[best] >= limit:
                    yield Gap(index, mark, LABELS[best], round(probs[best], 4))
                    mark = LABELS[best]
            if mark:
                since = 0
            before, index = word, index + 1


def save_punctuation(path: str | Path, weights: dict[str, list[float]], priors: dict[str, tuple[int, int]],
                     threshold: float) -> None:
    payload = {"format": FORMAT, "labels": list(LABELS), "threshold": threshold,
               "weights": {k: [round(w, 4) for w in v] for k, v in sorted(weights.items())},
               "priors": {k: list(v) for k, v in sorted(priors.items())}}
    with gzip.GzipFile(path, "wb", mtime=0) as raw:
        raw.write(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


TABLES_KIND = "nahawi-punctuation/1"


class _Rows(Mapping):
    """Rows of numbers by string: a dict from the strings of a tables file to their row (the model's 46k
    names are looked up 17 times a gap: a dict, ~5 MB, not a hash probe) and one flat array, `width` a row."""

    def __init__(self, index: dict[str, int], values: memoryview, width: int, convert=list):
        self.index, self.values, self.width, self.convert = index, values, width, convert

    def get(self, name, default=None):
        k = self.index.get(name)
        return default if k is None else self.convert(self.values[k * self.width:(k + 1) * self.width])

    def __getitem__(self, name):
        row = self.get(name)
        if row is None:
            raise KeyError(name)
        return row

    def __iter__(self):
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


def punctuation_tables(weights: Mapping[str, Sequence[float]], priors: Mapping[str, tuple[int, int]],
                       threshold: float, source_sha256: str = "") -> bytes:
    """The tables file of a punctuation model (nahawi.tables): feature names and their weight rows
    (float64, so sums are the same as from the JSON), words and their two prior counts."""
    from nahawi.tables import StringIndex, tables_bytes

    names, words = sorted(weights), sorted(priors)
    arrays = {f"features.{k}": v for k, v in StringIndex.build(names, chars=True).items()}
    arrays |= {f"priors.{k}": v for k, v in StringIndex.build(words, chars=True).items()}
    arrays["weights"] = np.array([w for n in names for w in weights[n]], dtype=np.float64)
    arrays["prior_values"] = np.array([c for w in words for c in priors[w]], dtype=np.int64)
    return tables_bytes(TABLES_KIND, arrays, {"labels": list(LABELS), "threshold": float(threshold),
                                              "source_sha256": source_sha256})


def model_from_tables(tables, threshold: float | None = None) -> PunctuationModel:
    from nahawi.tables import _ints

    if tables.meta.get("labels") != list(LABELS):
        raise ModelError(f"{tables.where}: punctuation tables for other labels {tables.meta.get('labels')!r}")
    weights = memoryview(np.ascontiguousarray(tables["weights"], dtype=np.float64)).cast("B").cast("d")
    priors = _ints(tables["prior_values"], np.int64, "q")
    chosen = float(tables.meta["threshold"]) if threshold is None else threshold
    def names(index: str) -> dict[str, int]:
        return tables.strings(index).as_dict(tables.arrays.get(f"{index}.chars"))

    return PunctuationModel(_Rows(names("features"), weights, len(LABELS), memoryview.tolist),
                            _Rows(names("priors"), priors, 2, tuple), chosen)


def load_punctuation(path: str | Path, threshold: float | None = None) -> PunctuationModel:
    """A punctuation model from a tables file (mapped) or from `save_punctuation`'s gzip JSON."""
    from nahawi.tables import is_tables_file, open_tables

    if is_tables_file(path):
        return model_from_tables(open_tables(path, TABLES_KIND), threshold)
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
