"""Synthetic errors: corrupt clean sentences (the target) into realistic erroneous sources.

An `ErrorModel` is built from the real error statistics (`stats.measure` on QALB-2015 train + ZAEBUC
train): the relative weight of every corruption operation, the per-kind character patterns
(clean → error, with their position in the word) and the word→word confusions seen in real pairs.
With corpus word counts it also makes inflection errors (`INFLECTIONS`: a dropped tanween alif, a sound
plural's case, a verb's mood), the agreement errors no word-level pattern shows. `calibrate` then reweights
the operations on a pilot run so the generated kind shares approach the real ones. `corrupt` draws a primary
operation (so data can be stratified by kind) plus a truncated Poisson number of extra ones; `corrupt_hamza`
is the separate hamza-focused augmentation. Both are deterministic given a `random.Random`, never touch a
word twice, and report what they changed. Knows nothing about punctuation (callers drop it first) or files.
"""
from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field

from training.data.stats import LETTER_PAIRS, PREFIXES, ErrorStats, classifier, is_punct_token

# Operation -> the kind id (nahawi.kinds) it produces; "confusion" takes the kind of the mined pair.
OP_KIND = {"hamza": "hamza", "ta_marbuta": "ta_marbuta", "alif_maqsura": "alif_maqsura",
           "letter_confusion": "letter_confusion", "split": "spacing", "merge": "spacing",
           "char_noise": "other", "word_delete": "word_choice", "word_duplicate": "word_choice",
           "confusion": "", "inflection": "morphology"}
OPS = tuple(OP_KIND)
BASE_OPS = OPS[:-1]  # every error model has these; "inflection" only one built with corpus word counts
PATTERN_OPS = ("hamza", "ta_marbuta", "alif_maqsura", "letter_confusion")

# Prior patterns (clean, error, where, pseudo-count) so that rare but real confusions always exist.
PRIOR_PATTERNS = {
    "hamza": [("أ", "ا", "initial", 20), ("إ", "ا", "initial", 10), ("آ", "ا", "initial", 5),
              ("أ", "ا", "medial", 10), ("آ", "ا", "medial", 3),
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
HAMZA_CHARS = frozenset("أإآؤئء")
# Word endings writers get wrong (clean ending, written ending, weight), weighted roughly as QALB-2014 dev's
# reviewers fix them: a dropped tanween alif (عاما → عام), the silent alif of a plural verb (كانوا → كانو), the
# sound plural's case (المسلمون ↔ المسلمين), the verb's mood (يقتلون ↔ يقتلوا), an adjective's ة after a
# feminine noun (الدولة الإسلامية → الإسلامي), a verb's ت (ليست → ليس). Only the silent alif makes a non-word;
# every other written form must be a word the corpus holds, so that the error is one only the context shows.
INFLECTIONS = (("ا", "", 3.0), ("وا", "و", 2.0), ("ون", "ين", 1.0), ("ين", "ون", 1.0), ("ون", "وا", 0.5),
               ("وا", "ون", 0.5), ("ة", "", 0.5), ("ت", "", 0.5))
MIN_FORM_COUNT = 5  # a written form seen fewer times in the corpus is no word
MIN_FORM_SHARE = 0.02  # ... and a case or mood form this much rarer than the clean one another word (الدين/الدون)


_ARABIC_WORD = re.compile(r"^[\u0621-\u064a\u064b-\u0652\u0670\u0640]+$")


def _is_arabic_word(word: str) -> bool:
    """Only plain Arabic words (letters, diacritics, tatweel) are corrupted: no digits, Latin or marks."""
    return _ARABIC_WORD.match(word) is not None


@dataclass(frozen=True)
class ErrorModel:
    op_weights: dict[str, float]  # operation -> relative weight (sums to 1)
    rate_per_word: float  # non-punctuation edits per word in the real data
    patterns: dict[str, tuple[tuple[str, str, str, float], ...]]  # kind -> (clean, error, where, weight)
    confusions: dict[str, tuple[tuple[str, ...], tuple[float, ...], tuple[str, ...], float]]  # clean ->
    # errors, their cumulative weights, their kinds, and how often the clean word was miswritten (0..1)
    word_counts: dict[str, int] = field(default_factory=dict)  # corpus words: which inflected forms are words

    def describe(self) -> dict:
        return {"op_weights": {k: round(v, 4) for k, v in self.op_weights.items()},
                "rate_per_word": round(self.rate_per_word, 4),
                "patterns": {k: len(v) for k, v in self.patterns.items()},
                "confusion_words": len(self.confusions), "counted_words": len(self.word_counts)}


def build_error_model(stats: ErrorStats, min_share: float = 0.02, min_confusion_count: int = 1,
                      word_counts: dict[str, int] | None = None) -> ErrorModel:
    """Calibrate operation weights, character patterns and confusions on measured real statistics. With
    corpus `word_counts` the model also makes inflection errors, as often as the real data's morphology."""
    raw = {op: stats.kinds[op] for op in PATTERN_OPS}
    raw.update(split=stats.ops["split"], merge=stats.ops["merge"], char_noise=stats.kinds["other"] * 0.5,
               word_delete=stats.ops["missing_word"], word_duplicate=stats.ops["extra_word"],
               confusion=stats.kinds["morphology"] + stats.kinds["other"] * 0.5
               + max(0, stats.kinds["word_choice"] - stats.ops["missing_word"] - stats.ops["extra_word"]))
    if word_counts:
        raw["inflection"] = stats.kinds["morphology"]
    weights = _normalise(raw, min_share)
    errors = sum(v for k, v in stats.kinds.items() if k != "punctuation")
    return ErrorModel(weights, errors / max(stats.words, 1), _patterns(stats),
                      _confusions(stats, min_confusion_count), dict(word_counts or {}))


def _patterns(stats: ErrorStats) -> dict:
    counts: dict[str, dict[tuple[str, str, str], float]] = {k: {} for k in PATTERN_OPS}
    for kind, prior in PRIOR_PATTERNS.items():
        for clean, error, where, weight in prior:
            counts[kind][(clean, error, where)] = float(weight)
    for (kind, clean, error, where), n in stats.char_patterns.items():
        if kind in counts and n >= 2 and _plausible(kind, clean, error, where):  # singletons: noise
            key = (clean, error, where)
            counts[kind][key] = counts[kind].get(key, 0.0) + n
    return {kind: tuple((*key, w) for key, w in sorted(table.items())) for kind, table in counts.items()}


def _plausible(kind: str, clean: str, error: str, where: str) -> bool:
    """Keep measured patterns that generalise: the clean side must hold the letter the kind is about
    (a hamza, ة, ى/ي, one confusable letter); adding a hamza is kept only on a word-initial alif."""
    if not clean:
        return False
    if kind == "hamza":
        return bool(HAMZA_CHARS & set(clean)) or (clean == "ا" and where == "initial")
    if kind == "ta_marbuta":
        return where == "final" and clean in ("ة", "ه")
    if kind == "alif_maqsura":
        return where == "final" and clean in ("ى", "ي")
    return len(clean) == 1 and len(error) == 1 and any({clean, error} == set(p) for p in LETTER_PAIRS)


def _confusions(stats: ErrorStats, min_count: int) -> dict:
    classify, _ = classifier()
    table = {}
    for clean in sorted(stats.confusions):
        errors = sorted((e, n) for e, n in stats.confusions[clean].items()
                        if n >= min_count and e != clean and not any(is_punct_token(c) for c in e))
        if not errors:
            continue
        cumulative, running = [], 0.0
        for _, n in errors:
            running += n
            cumulative.append(running)
        kinds = tuple(_kind(classify, e, clean) for e, _ in errors)
        rate = min(1.0, running / max(stats.target_words[clean], 1))
        table[clean] = (tuple(e for e, _ in errors), tuple(cumulative), kinds, rate)
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
        self.arabic = [i for i, w in enumerate(words) if _is_arabic_word(w)]

    def free(self) -> list[int]:
        return [i for i in self.arabic if i not in self.touched]

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
    if clean not in word:
        return None
    if where == "initial":  # at the start of the stem, after any clitic/article prefix
        spots = [len(p) for p in PREFIXES if word.startswith(p + clean) and len(word) > len(p) + len(clean)
                 and not (clean == "ا" and word.startswith("ال", len(p)))]  # the article's alif is no seat
        if not spots:
            return None
        i = rng.choice(spots)
        return word[:i] + error + word[i + len(clean):]
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
    # Real splits are almost all "و …" (و فوائد for وفوائد): weight و far above the other clitics.
    i = rng.choices(candidates, weights=[20 if slots.words[j][0] == "و" else 1 for j in candidates])[0]
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


def inflected_forms(word: str, counts: dict[str, int], before: str = "") -> list[tuple[str, tuple]]:
    """(written form, its `INFLECTIONS` row) of each inflection error allowed on the clean `word`, the word
    `before` it in the sentence."""
    forms = []
    for row in INFLECTIONS:
        clean, error, _ = row
        stem = word[:-len(clean)]
        if not word.endswith(clean) or len(stem) < 3:
            continue
        written = stem + error
        if clean == "وا" and error == "و":  # the silent alif left out: the written form is no word
            forms.append((written, row))
            continue
        found = counts.get(written, 0)
        if found < MIN_FORM_COUNT:
            continue
        if clean == "ا":  # a tanween alif: not a plural verb's, a pronoun's (كتابنا, كتابها) or a definite
            # word's (الدنيا), and the bare form the commoner one (عام beside عاما; not سوري beside سوريا)
            if word.endswith(("وا", "نا", "ها")) or word.startswith("ال") or found < counts.get(word, 0):
                continue
        elif clean == "ة":  # agreement: an adjective after a feminine noun, not one noun for another
            if not before.endswith("ة"):
                continue
        elif clean != "ت" and found < MIN_FORM_SHARE * counts.get(word, 0):
            continue
        forms.append((written, row))
    return forms


def _inflection(slots: _Slots, rng: random.Random, model: ErrorModel) -> bool:
    """One inflection error: its `INFLECTIONS` row drawn by weight among those the sentence allows (not by
    how many words allow each: most words end in ة), then one of its words."""
    options: dict[tuple, list[tuple[int, str]]] = {}
    for i in slots.free():
        before = slots.words[i - 1] if i else ""
        for form, row in inflected_forms(slots.words[i], model.word_counts, before):
            options.setdefault(row, []).append((i, form))
    if not options:
        return False
    drawn = rng.choices(list(options), weights=[weight for _, _, weight in options])[0]
    i, form = rng.choice(options[drawn])
    slots.set(i, form)
    return True


def _confusion(slots: _Slots, rng: random.Random, model: ErrorModel) -> str | None:
    candidates = [i for i in slots.free() if slots.words[i] in model.confusions]
    if not candidates:
        return None
    # A word is picked as often as real writers got it wrong (فى for في: a few %, not every time).
    i = rng.choices(candidates, weights=[model.confusions[slots.words[j]][3] for j in candidates])[0]
    errors, cumulative, kinds, _ = model.confusions[slots.words[i]]
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
    if op == "inflection":
        return OP_KIND[op] if _inflection(slots, rng, model) else None
    simple = {"split": _split, "merge": _merge, "char_noise": _char_noise,
              "word_delete": _word_delete, "word_duplicate": _word_duplicate}[op]
    return OP_KIND[op] if simple(slots, rng) else None


def _poisson(rng: random.Random, lam: float) -> int:
    threshold, k, p = math.exp(-lam), 0, rng.random()
    while p > threshold:
        k += 1
        p *= rng.random()
    return k


def _truncated_poisson(rng: random.Random, lam: float, most: int) -> int:
    """Poisson(lam) conditioned on <= most (rejection), so the cap does not pile mass onto `most`."""
    for _ in range(50):
        k = _poisson(rng, lam)
        if k <= most:
            return k
    return most


def corrupt(words: list[str], rng: random.Random, model: ErrorModel, primary: str | None = None,
            rate_scale: float = 0.5, max_errors: int = 3) -> Corruption | None:
    """Corrupt a clean sentence (list of words): the primary operation (drawn by weight when None) plus
    extra ones so that the total is Poisson(rate_scale · real rate · words) truncated to `max_errors`
    (at least 1). None when the primary
    operation cannot apply (e.g. no hamza word for "hamza")."""
    slots = _Slots(list(words))
    ops_list, weights = list(model.op_weights), list(model.op_weights.values())
    primary = primary or rng.choices(ops_list, weights=weights)[0]
    kind = apply_op(primary, slots, rng, model)
    if kind is None:
        return None
    kinds, ops = [kind], [primary]
    total = _truncated_poisson(rng, rate_scale * model.rate_per_word * len(words), max_errors)
    extra = max(total - 1, 0)  # the primary counts as one
    for op in rng.choices(ops_list, weights=weights, k=extra):
        produced = apply_op(op, slots, rng, model)
        if produced is not None:
            kinds.append(produced)
            ops.append(op)
    return Corruption(slots.text(), " ".join(words), tuple(kinds), tuple(ops))


def corrupt_hamza(words: list[str], rng: random.Random, model: ErrorModel,
                  prob: float = 0.5) -> Corruption | None:
    """Hamza-focused augmentation: each word that a hamza pattern fits is corrupted with `prob`;
    None when nothing changed."""
    slots = _Slots(list(words))
    patterns = model.patterns["hamza"]
    for index in slots.free():
        word = slots.words[index]
        if not (HAMZA_CHARS & set(word) or "ا" in word[:5]):
            continue
        fits = [(p, new) for p in patterns if (new := _pattern_on(word, p, rng)) is not None and new != word]
        if fits and rng.random() < prob:
            _, new = rng.choices(fits, weights=[p[3] for p, _ in fits])[0]
            slots.set(index, new)
    if not slots.touched:
        return None
    n = len(slots.touched)
    return Corruption(slots.text(), " ".join(words), ("hamza",) * n, ("hamza",) * n)


def calibrate(model: ErrorModel, sentences: list[list[str]], real: ErrorStats, seed: int, rounds: int = 3,
              rate_scale: float = 0.5, max_errors: int = 3, min_share: float = 0.01,
              max_share: float = 0.4) -> ErrorModel:
    """Reweight operations so the generated kind shares (measured by `stats.measure`, like the real ones)
    approach the real non-punctuation shares: a few pilot rounds on `sentences`, each multiplying an
    operation's weight by real/generated share of its kind (clamped to [1/3, 3]). No operation gets more
    than `max_share`: the mined confusions (the only source of morphology) come from ~60k real words,
    and letting them dominate would replay the same few thousand pairs. Deterministic."""
    from dataclasses import replace

    from training.data.stats import measure

    target = _kind_shares(real)
    for round_ in range(rounds):
        rng = random.Random(seed * 1000 + round_)
        pilot = [corrupt(words, rng, model, None, rate_scale, max_errors) for words in sentences]
        generated = _kind_shares(measure([(c.source, c.target) for c in pilot if c is not None]))
        weights = {}
        for op, weight in model.op_weights.items():
            kind = OP_KIND[op] or "morphology"  # mined confusions make morphology (as inflection does)
            ratio = target.get(kind, 0.0) / max(generated.get(kind, 0.0), 1e-3)
            weights[op] = weight * min(max(ratio, 1 / 3), 3.0)
        model = replace(model, op_weights=_normalise(weights, min_share, max_share))
    return model


def _kind_shares(stats: ErrorStats) -> dict[str, float]:
    errors = {k: v for k, v in stats.kinds.items() if k != "punctuation"}
    total = sum(errors.values()) or 1
    return {k: v / total for k, v in errors.items()}


def _normalise(raw: dict[str, float], min_share: float, max_share: float = 1.0) -> dict[str, float]:
    """Shares summing to 1 with every operation between min_share and max_share (a few clip rounds)."""
    total = sum(raw.values()) or 1.0
    shares = {op: raw.get(op, 0.0) / total for op in OPS if op in BASE_OPS or op in raw}
    for _ in range(5):
        shares = {op: min(max(w, min_share), max_share) for op, w in shares.items()}
        norm = sum(shares.values())
        shares = {op: w / norm for op, w in shares.items()}
    return shares
