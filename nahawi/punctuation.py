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
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TypeVar

import numpy as np

from nahawi.errors import ModelError
from nahawi.tables import Memo
from nahawi.text.punct import ARABIC_FORM, is_punct_char

LABELS = ("", "،", ".", "؟", ":", "؛", "!")  # "" = no mark
# Gaps training learns from: nothing, the model's own pausing marks and the Latin forms of its marks (a written
# «؟» or «!» is the writer's choice).
WRITTEN = frozenset({"", "،", ".", ":", "؛", ",", "?", ";"})
# What the engine may change: it inserts a mark where the writer left none, and turns every Latin mark into its
# Arabic form (`ARABIC_FORM`; QALB-2014 dev's reviewers made 171 of its 291 Latin commas «،», 63 «.»); a mark
# the writer wrote is never moved or deleted (on QALB-2014 dev that cost F0.5 and made 9 of the stage's 11 false
# alarms on the corrected side, «،» → «؛» the commonest).
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
    return bisect_right(edges, value)  # how many edges value reaches


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
        self._scorer: _Scorer | None = None  # built on the first decoding (it copies the weight rows)

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
        return _softmax(scores)

    def gaps(self, words: list[str], written: list[str], threshold: float | None = None) -> list[Gap]:
        """Proposed changes for the gaps after each word; written[i] is what follows words[i]: "" (no mark),
        one mark, or several joined by spaces. An empty gap may get a mark, a Latin mark gets its Arabic
        form (`ARABIC_FORM`); every other gap is left as written."""
        return list(self.iter_gaps(zip(words, written, strict=True), threshold))

    def iter_gaps(self, pairs: Iterable[tuple[str, str]], threshold: float | None = None) -> Iterator[Gap]:
        """`gaps` over a stream of (word, written) pairs, holding at most READ_AHEAD pairs: a line of any
        length costs the same memory. The scores of a block of gaps are summed at once (`_Scorer`), for
        every distance from the last mark; decoding then goes left to right, so that a mark just placed
        counts as "the last mark" for the next gap."""
        limit = self.threshold if threshold is None else threshold
        if self._scorer is None:
            self._scorer = _Scorer(self.weights, self.priors)
        stream, window = iter(pairs), deque()
        before, since, index = "<s>", 0, 0
        while True:
            window.extend(islice(stream, READ_AHEAD - len(window)))
            if not window:
                return
            count = min(BLOCK, len(window))  # the gaps after window[:count]; the rest is their lookahead
            scored = [k for k in range(count) if not window[k][1]]
            scores, firsts = self._scorer.scores(before, window, scored)
            rows = dict(zip(scored, range(len(scored))))
            for k in range(count):
                word, mark = window.popleft()
                since += 1
                row, distance = rows.get(k), _bucket(since, SINCE_EDGES)
                if mark in ARABIC_FORM:  # the writer wanted a mark here: a Latin one takes its Arabic form
                    # (letting a sure model pick another one, «,» → «.», did no better on dev)
                    yield Gap(index, mark, ARABIC_FORM[mark], 1.0)
                    mark = ARABIC_FORM[mark]
                # An empty gap whose best score is "no mark"'s stays empty, whatever the probabilities: no
                # softmax needed (the first of the highest scores has the highest probability).
                elif row is not None and firsts[row][distance]:
                    probs = _softmax(scores[row, distance].tolist())
                    best = max(range(len(LABELS)), key=probs.__getitem__)
                    if LABELS[best] and probs[best] >= limit:
                        yield Gap(index, mark, LABELS[best], round(probs[best], 4))
                        mark = LABELS[best]
                if mark:
                    since = 0
                before, index = word, index + 1


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


BLOCK = 64  # gaps whose scores are summed together
READ_AHEAD = BLOCK + LOOKAHEAD + 1  # the most (word, written) pairs `iter_gaps` holds
DISTANCES = range(len(SINCE_EDGES) + 1)  # the values of the "words since the last mark" bucket


class _Scorer:
    """The score rows of a block of gaps, summed in numpy for every distance bucket decoding may find at
    each gap (`features_between` and `probabilities` one gap at a time took ~40 µs a word, most of the
    pipeline's time). The rows are added in the order `features_between` names them, starting from the
    first, so every score is the same float as `probabilities` gives. A feature the model does not know
    adds the zero row at the end of `rows`."""

    def __init__(self, weights: Mapping[str, Sequence[float]], priors: Mapping[str, tuple[int, int]]):
        if isinstance(weights, _Rows):
            self.index = weights.index
            flat = np.frombuffer(weights.values, dtype=np.float64).reshape(-1, weights.width)
        else:
            self.index = {name: k for k, name in enumerate(weights)}
            flat = np.array([weights[name] for name in self.index], dtype=np.float64).reshape(-1, len(LABELS))
        self.rows = np.vstack([flat, np.zeros((1, len(LABELS)))])  # (features + 1, labels)
        self.missing, self.priors = len(flat), priors
        self.words = Memo(1 << 12)  # word -> its rows as the left and the right word, its priors (Zipfian)
        self.counts = Memo(1 << 12)  # (after_left, before_right) -> the rows of the prior features
        self.bias = self.rows[self._ids(["bias"])[0]]  # (labels,)
        self.distance = self.rows[self._ids(f"d={d}" for d in DISTANCES)]  # (distances, labels)
        self.remaining = self._ids(f"e={e}" for e in range(len(LEFT_EDGES) + 1))
        self.both = [self._ids(f"de={d}|{e}" for d in DISTANCES) for e in range(len(LEFT_EDGES) + 1)]
        self.written = {mark: self._ids([f"w={mark}"])[0] for mark in ("", *ARABIC_FORM)}
        self.written_distance = {mark: self._ids(f"wd={mark}|{d}" for d in DISTANCES) for mark in self.written}

    def _ids(self, names: Iterable[str]) -> list[int]:
        get, missing = self.index.get, self.missing
        return [get(name, missing) for name in names]

    def _word(self, word: str) -> tuple:
        """The rows of l, ls, r, rp and rp2 for word as the left and as the right word, its two priors."""
        found = self.words.get(word)
        if found is None:
            after, before = self.priors.get(word, (-1, -1))
            found = self.words.remember(word, (*self._ids((f"l={word}", f"ls={word[-2:]}", f"r={word}",
                                                           f"rp={word[:1]}", f"rp2={word[:2]}")), after, before))
        return found

    def _counts(self, after_left: int, before_right: int) -> tuple[int, int, int, list[int]]:
        """The rows of ca, cb and cab, and of cbd by distance."""
        key = (after_left, before_right)
        found = self.counts.get(key)
        if found is None:
            found = self.counts.remember(key, (*self._ids([f"ca={after_left}", f"cb={before_right}",
                                                            f"cab={after_left}|{before_right}"]),
                                               self._ids(f"cbd={before_right}|{d}" for d in DISTANCES)))
        return found

    def scores(self, before: str, window: Sequence[tuple[str, str]], scored: list[int]) -> tuple[np.ndarray, list]:
        """The (gaps, distances, labels) scores of the gaps after window[k][0] for k in `scored`, and for
        each gap and distance whether a label other than "no mark" has the first highest score; `before`:
        the word before window[0] ("<s>" at the start of the line)."""
        if not scored:
            return np.zeros((0, len(DISTANCES), len(LABELS))), []
        get, missing, ids = self.index.get, self.missing, []
        words = [window[k][0] if k < len(window) else "</s>" for k in range(scored[-1] + 2)]
        rows = [self._word(word) for word in words]  # each word is the right word of one gap, the left of the next
        for k in scored:
            left, written = window[k]
            right, previous = words[k + 1], words[k - 1] if k else before
            l, ls, _, _, _, after_left, _ = rows[k]
            _, _, r, rp, rp2, _, before_right = rows[k + 1]
            remaining = _bucket(len(window) - k - 1, LEFT_EDGES)
            ca, cb, cab, cbd = self._counts(after_left, before_right)
            ids += (self.written[written], l, r, get(f"lr={left}|{right}", missing),
                    get(f"bl={previous}|{left}", missing), ls, rp, rp2, self.remaining[remaining], ca, cb, cab,
                    *self.both[remaining], *self.written_distance[written], *cbd)
        total = self._sum(np.array(ids, dtype=np.intp).reshape(len(scored), -1))  # flat: half numpy's time
        return total, np.argmax(total, axis=2).tolist()

    def _sum(self, ids: np.ndarray) -> np.ndarray:
        """(gaps, distances, labels) scores from each gap's row numbers, as `scores` lists them: w, l, r,
        lr, bl, ls, rp, rp2, e, ca, cb, cab, then de, wd and cbd by distance. The rows are added in
        `features_between`'s order (two gathers, then in-place sums: a short line pays little numpy)."""
        per_gap = self.rows[ids[:, :12]]  # (gaps, 12, labels)
        by_distance = self.rows[ids[:, 12:].reshape(len(ids), 3, len(DISTANCES))]  # (gaps, 3, distances, labels)
        prefix = self.bias + per_gap[:, 0]  # (gaps, labels): `probabilities` starts from 0.0 + bias, i.e. bias
        for k in range(1, 8):  # l r lr bl ls rp rp2
            prefix += per_gap[:, k]
        total = prefix[:, None, :] + self.distance  # (gaps, distances, labels)
        total += per_gap[:, 8, None]  # e
        total += by_distance[:, 0]  # de
        total += by_distance[:, 1]  # wd
        for k in (9, 10, 11):  # ca cb cab
            total += per_gap[:, k, None]
        total += by_distance[:, 2]  # cbd
        return total


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
