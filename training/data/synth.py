"""Synthetic errors: corrupt clean sentences (the target) into realistic erroneous sources.

An `ErrorModel` is built from the real error statistics (`stats.measure` on QALB-2015 train + ZAEBUC
train): the relative weight of every corruption operation, the per-kind character patterns
(clean → error, with their position in the word) and the word→word confusions seen in real pairs.
`corrupt` draws a primary operation (so data can be stratified by kind) plus a Poisson number of
extra ones; `corrupt_hamza` is the separate hamza-focused augmentation. Both are deterministic given a
`random.Random`, never touch a word twice, and report what they changed. Knows nothing about
punctuation (callers strip it first) or files.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

from training.data.stats import LETTER_PAIRS, ErrorStats, classifier

# Operation -> the kind id (nahawi.kinds) it produces; "confusion" takes the kind of the mined pair.
OP_KIND = {"hamza": "hamza", "ta_marbuta": "ta_marbuta", "alif_maqsura": "alif_maqsura",
           "letter_confusion": "letter_confusion", "split": "spacing", "merge": "spacing",
           "char_noise": "other", "word_delete": "word_choice", "word_duplicate": "word_choice",
           "confusion": ""}
OPS = tuple(OP_KIND)
PATTERN_OPS = ("hamza", "ta_marbuta", "alif_maqsura", "letter_confusion")

# Prior patterns (clean, error, where, pseudo-count) so that rare but real confusions always exist.
PRIOR_PATTERNS = {
    "hamza": [("أ", "ا", "initial", 20), ("إ", "ا", "initial", 10), ("آ", "ا", "initial", 5),
              ("أ", "ا", "medial", 10), ("إ", "ا", "medial", 5), ("آ", "ا", "medial", 3),
              ("ؤ", "ئ", "medial", 3), ("ؤ", "و", "medial", 3), ("ئ", "ي", "medial", 3),
              ("ئ", "ء", "final", 2), ("ء", "ئ", "final", 2), ("ء", "", "final", 2),
              ("ا", "إ", "initial", 5), ("ا", "أ", "initial", 3), ("أ", "إ", "initial", 3),
              ("إ", "أ", "initial", 3), ("ئ", "ى", "final", 2), ("أ", "ا", "final", 2)],
    "ta_marbuta": [("ة", "ه", "final", 20), ("ه", "ة", "final", 2)],
    "alif_maqsura": [("ى", "ي", "final", 10), ("ي", "ى", "final", 10)],
    "letter_confusion": [(a, b, where, 2) for pair in LETTER_PAIRS[:6] for a, b in (pair, pair[::-1])
                         for where in ("initial", "medial", "final")],
}
CLITICS = ("و", "ب", "ل", "ف", "ك")
MERGE_FIRST = frozenset({"لا", "ما", "عبد", "إن", "ان", "أن", "في", "من", "عن", "يا", "ابو", "أبو", "بن"})
FUNCTION_WORDS = frozenset({"في", "من", "على", "إلى", "عن", "أن", "ان", "التي", "الذي", "قد", "ما", "لا",
                            "هذا", "هذه", "و", "ثم", "مع", "كان", "بل", "حتى"})
ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def _is_arabic_word(word: str) -> bool:
    return any("\u0621" <= c <= "\u064a" for c in word) and not any(c.isdigit() for c in word)


@dataclass(frozen=True)
class ErrorModel:
    op_weights: dict[str, float]  # operation -> relative weight (sums to 1)
    rate_per_word: float  # non-punctuation edits per word in the real data
    patterns: dict[str, tuple[tuple[str, str, str, float], ...]]  # kind -> (clean, error, where, weight)
    confusions: dict[str, tuple[tuple[str, ...], tuple[float, ...], tuple[str, ...]]]  # clean -> errors,
    # their cumulative weights and their kinds

    def describe(self) -> dict:
        return {"op_weights": {k: round(v, 4) for k, v in self.op_weights.items()},
                "rate_per_word": round(self.rate_per_word, 4),
                "patterns": {k: len(v) for k, v in self.patterns.items()},
                "confusion_words": len(self.confusions)}


def build_error_model(stats: ErrorStats, min_share: float = 0.02, min_confusion_count: int = 1) -> ErrorModel:
    """Calibrate operation weights, character patterns and confusions on measured real statistics."""
    raw = {op: stats.kinds[op] for op in PATTERN_OPS}
    raw.update(split=stats.ops["split"], merge=stats.ops["merge"], char_noise=stats.kinds["other"] * 0.5,
               word_delete=stats.ops["missing_word"], word_duplicate=stats.ops["extra_word"],
               confusion=stats.kinds["morphology"] + stats.kinds["other"] * 0.5
               + max(0, stats.kinds["word_choice"] - stats.ops["missing_word"] - stats.ops["extra_word"]))
    total = sum(raw.values()) or 1.0
    floored = {op: max(raw[op] / total, min_share) for op in OPS}
    norm = sum(floored.values())
    weights = {op: w / norm for op, w in floored.items()}
    errors = sum(v for k, v in stats.kinds.items() if k != "punctuation")
    return ErrorModel(weights, errors / max(stats.words, 1), _patterns(stats),
                      _confusions(stats, min_confusion_count))


def _patterns(stats: ErrorStats) -> dict:
    counts: dict[str, dict[tuple[str, str, str], float]] = {k: {} for k in PATTERN_OPS}
    for kind, prior in PRIOR_PATTERNS.items():
        for clean, error, where, weight in prior:
            counts[kind][(clean, error, where)] = float(weight)
    for (kind, clean, error, where), n in stats.char_patterns.items():
        if kind in counts and clean:
            key = (clean, error, where)
            counts[kind][key] = counts[kind].get(key, 0.0) + n
    return {kind: tuple((*key, w) for key, w in sorted(table.items())) for kind, table in counts.items()}


def _confusions(stats: ErrorStats, min_count: int) -> dict:
    classify, _ = classifier()
    table = {}
    for clean in sorted(stats.confusions):
        errors = sorted((e, n) for e, n in stats.confusions[clean].items() if n >= min_count and e != clean)
        if not errors:
            continue
        cumulative, running = [], 0.0
        for _, n in errors:
            running += n
            cumulative.append(running)
        kinds = tuple(_kind(classify, e, clean) for e, _ in errors)
        table[clean] = (tuple(e for e, _ in errors), tuple(cumulative), kinds)
    return table


def _kind(classify, error: str, clean: str) -> str:
    kind = classify(error, clean)
    return "other" if kind in ("none", "", None) else kind


@dataclass(frozen=True)
class Corruption:
    source: str  # the corrupted sentence
    target: str  # the clean sentence (words joined by single spaces)
    kinds: tuple[str, ...]  # kind id of every applied error, primary first
    ops: tuple[str, ...]  # operation of every applied error, primary first


class _Slots:
    """Clean words with their (possibly corrupted) output strings; each word is touched once."""

    def __init__(self, words: list[str]):
        self.words = words
        self.out = list(words)
        self.touched: set[int] = set()

    def free(self) -> list[int]:
        return [i for i in range(len(self.words)) if i not in self.touched and _is_arabic_word(self.words[i])]

    def set(self, index: int, value: str) -> None:
        self.out[index] = value
        self.touched.add(index)

    def text(self) -> str:
        return " ".join(x for x in self.out if x)


def _apply_pattern(slots: _Slots, rng: random.Random, patterns, tries: int = 6) -> bool:
    free = slots.free()
    if not free or not patterns:
        return False
    weights = [p[3] for p in patterns]
    for pattern in rng.choices(patterns, weights=weights, k=tries):
        order = free[:]
        rng.shuffle(order)
        for index in order:
            new = _pattern_on(slots.words[index], pattern, rng)
            if new is not None and new != slots.words[index]:
                slots.set(index, new)
                return True
    return False


def _pattern_on(word: str, pattern, rng: random.Random) -> str | None:
    clean, error, where, _ = pattern
    if where == "initial":
        return error + word[len(clean):] if word.startswith(clean) else None
    if where == "final":
        return word[:-len(clean)] + error if word.endswith(clean) and len(word) > len(clean) else None
    spots = [i for i in range(1, len(word) - len(clean)) if word.startswith(clean, i)]
    if not spots:
        return None
    i = rng.choice(spots)
    return word[:i] + error + word[i + len(clean):]


def _split(slots: _Slots, rng: random.Random) -> bool:
    candidates = [i for i in slots.free() if len(slots.words[i]) >= 4 and slots.words[i][0] in CLITICS]
    if not candidates:
        return False
    i = rng.choice(candidates)
    slots.set(i, slots.words[i][0] + " " + slots.words[i][1:])
    return True


def _merge(slots: _Slots, rng: random.Random) -> bool:
    free = set(slots.free())
    pairs = [i for i in range(len(slots.words) - 1) if i in free and i + 1 in free]
    if not pairs:
        return False
    i = rng.choices(pairs, weights=[5 if slots.words[p] in MERGE_FIRST else 1 for p in pairs])[0]
    slots.set(i, slots.words[i] + slots.words[i + 1])
    slots.set(i + 1, "")
    return True


def _char_noise(slots: _Slots, rng: random.Random) -> bool:
    candidates = [i for i in slots.free() if len(slots.words[i]) >= 3]
    if not candidates:
        return False
    i = rng.choice(candidates)
    word, pos = slots.words[i], rng.randrange(len(slots.words[i]) - 1)
    action = rng.choice(("insert", "delete", "transpose"))
    if action == "insert":
        new = word[:pos + 1] + rng.choice(ARABIC_LETTERS) + word[pos + 1:]
    elif action == "delete":
        new = word[:pos] + word[pos + 1:]
    else:
        new = word[:pos] + word[pos + 1] + word[pos] + word[pos + 2:]
    if new == word:
        return False
    slots.set(i, new)
    return True


def _word_delete(slots: _Slots, rng: random.Random) -> bool:
    free = slots.free()
    if len(slots.words) < 4 or not free:
        return False
    i = rng.choices(free, weights=[3 if slots.words[j] in FUNCTION_WORDS else 1 for j in free])[0]
    slots.set(i, "")
    return True


def _word_duplicate(slots: _Slots, rng: random.Random) -> bool:
    free = slots.free()
    if not free:
        return False
    i = rng.choice(free)
    slots.set(i, slots.words[i] + " " + slots.words[i])
    return True


def _confusion(slots: _Slots, rng: random.Random, model: ErrorModel) -> str | None:
    candidates = [i for i in slots.free() if slots.words[i] in model.confusions]
    if not candidates:
        return None
    i = rng.choice(candidates)
    errors, cumulative, kinds = model.confusions[slots.words[i]]
    pick = min(_bisect(cumulative, rng.random() * cumulative[-1]), len(errors) - 1)
    slots.set(i, errors[pick])
    return kinds[pick]


def _bisect(cumulative: tuple[float, ...], x: float) -> int:
    from bisect import bisect_right
    return bisect_right(cumulative, x)


def apply_op(op: str, slots: _Slots, rng: random.Random, model: ErrorModel) -> str | None:
    """Apply one operation; the produced kind id, or None when it does not apply to this sentence."""
    if op in PATTERN_OPS:
        return OP_KIND[op] if _apply_pattern(slots, rng, model.patterns[op]) else None
    if op == "confusion":
        return _confusion(slots, rng, model)
    simple = {"split": _split, "merge": _merge, "char_noise": _char_noise,
              "word_delete": _word_delete, "word_duplicate": _word_duplicate}[op]
    return OP_KIND[op] if simple(slots, rng) else None


def _poisson(rng: random.Random, lam: float) -> int:
    threshold, k, p = math.exp(-lam), 0, rng.random()
    while p > threshold:
        k += 1
        p *= rng.random()
    return k


def corrupt(words: list[str], rng: random.Random, model: ErrorModel, primary: str | None = None,
            rate_scale: float = 0.5, max_errors: int = 4) -> Corruption | None:
    """Corrupt a clean sentence (list of words): the primary operation (drawn by weight when None) plus
    extra ones so that the total is Poisson(rate_scale · real rate · words) (at least 1, at most
    `max_errors`). None when the primary
    operation cannot apply (e.g. no hamza word for "hamza")."""
    slots = _Slots(list(words))
    ops_list, weights = list(model.op_weights), list(model.op_weights.values())
    primary = primary or rng.choices(ops_list, weights=weights)[0]
    kind = apply_op(primary, slots, rng, model)
    if kind is None:
        return None
    kinds, ops = [kind], [primary]
    total = _poisson(rng, rate_scale * model.rate_per_word * len(words))  # the primary counts as one
    extra = min(max(total - 1, 0), max_errors - 1)
    for op in rng.choices(ops_list, weights=weights, k=extra):
        produced = apply_op(op, slots, rng, model)
        if produced is not None:
            kinds.append(produced)
            ops.append(op)
    return Corruption(slots.text(), " ".join(words), tuple(kinds), tuple(ops))


def corrupt_hamza(words: list[str], rng: random.Random, model: ErrorModel, prob: float = 0.5) -> Corruption | None:
    """Hamza-focused augmentation: each word that a hamza pattern fits is corrupted with `prob`;
    None when nothing changed."""
    slots = _Slots(list(words))
    patterns = model.patterns["hamza"]
    for index in slots.free():
        word = slots.words[index]
        fits = [(p, new) for p in patterns if (new := _pattern_on(word, p, rng)) is not None and new != word]
        if fits and rng.random() < prob:
            pattern, new = rng.choices(fits, weights=[p[3] for p, _ in fits])[0]
            slots.set(index, new)
    if not slots.touched:
        return None
    n = len(slots.touched)
    return Corruption(slots.text(), " ".join(words), ("hamza",) * n, ("hamza",) * n)
