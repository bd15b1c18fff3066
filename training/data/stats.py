"""Error statistics of parallel data: per-kind rates per word, character confusion patterns, split and
merge rates, and the word→word confusions seen in real pairs.

The same `measure` runs on real pairs (to calibrate `synth`) and on generated pairs (to compare the
two), so both sides of `nahawi train synth --stats` are counted by one procedure. Edit kinds come from
`nahawi.edits.classify_edit` when that module is available, else from the small fallback below.
Knows nothing about how errors are generated.
"""
from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from training.data.align import align_tokens

HAMZA_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ي", "ء": None})
# Clitic/article prefixes after which a letter still counts as word-initial (وأن → وان is like أن → ان).
PREFIXES = ("", "و", "ف", "ب", "ل", "ك", "س", "ال", "وال", "فال", "بال", "كال", "لل", "ول", "فل", "وب", "فب",
            "وك", "وس", "ولل", "فلل")
LETTER_PAIRS = ("ضظ", "دذ", "تط", "سص", "ثت", "زذ", "ثس", "قك", "حه", "ظذ")
_LETTER_SET = {frozenset(p) for p in LETTER_PAIRS}


def is_punct_token(token: str) -> bool:
    """A token made only of punctuation/symbol characters (Unicode P* or S*)."""
    return bool(token) and all(unicodedata.category(c)[0] in "PS" for c in token)


def _fold(word: str, kinds: tuple[str, ...]) -> str:
    if "hamza" in kinds:
        word = word.translate(HAMZA_FOLD)
    if "ta_marbuta" in kinds and word.endswith("ة"):
        word = word[:-1] + "ه"
    if "alif_maqsura" in kinds and word.endswith("ى"):
        word = word[:-1] + "ي"
    return word


def fallback_classify(original: str, replacement: str) -> str:
    """Small kind detection used when `nahawi.edits` is not installed (word-level edits only)."""
    if original == replacement:
        return "none"
    if all(is_punct_token(t) for t in (original + " " + replacement).split()):
        return "punctuation"
    if original.replace(" ", "") == replacement.replace(" ", ""):
        return "spacing"
    for kind in ("hamza", "ta_marbuta", "alif_maqsura"):
        if _fold(original, (kind,)) == _fold(replacement, (kind,)):
            return kind
    if _fold(original, ("hamza", "ta_marbuta", "alif_maqsura")) == \
            _fold(replacement, ("hamza", "ta_marbuta", "alif_maqsura")):
        return "hamza"
    if len(original) == len(replacement):
        diffs = [(a, b) for a, b in zip(original, replacement) if a != b]
        if len(diffs) == 1 and frozenset(diffs[0]) in _LETTER_SET:
            return "letter_confusion"
    if original and replacement and not original.count(" ") and not replacement.count(" "):
        ratio = SequenceMatcher(None, original, replacement, autojunk=False).ratio()
        return "morphology" if ratio >= 0.6 else "word_choice"
    return "other"


def classifier():
    """`nahawi.edits.classify_edit` if available, else `fallback_classify`; returns (function, name)."""
    try:
        from nahawi.edits import classify_edit
    except ImportError:
        return fallback_classify, "training.data.stats.fallback_classify"
    return classify_edit, "nahawi.edits.classify_edit"


@dataclass
class ErrorStats:
    words: int = 0  # target (correct-side) words, punctuation tokens excluded
    sentences: int = 0
    kinds: Counter = field(default_factory=Counter)  # kind id -> edit count
    ops: Counter = field(default_factory=Counter)  # substitute/split/merge/missing_word/extra_word/...
    char_patterns: Counter = field(default_factory=Counter)  # (kind, clean, error, where) -> count
    confusions: dict = field(default_factory=lambda: defaultdict(Counter))  # clean -> Counter(error)
    errors_per_sentence: Counter = field(default_factory=Counter)  # n non-punct edits -> sentences
    target_words: Counter = field(default_factory=Counter)  # word -> occurrences on the correct side

    def rate(self, kind: str) -> float:
        return self.kinds[kind] / max(self.words, 1)

    def op_rate(self, op: str) -> float:
        return self.ops[op] / max(self.words, 1)

    def summary(self) -> dict:
        return {"words": self.words, "sentences": self.sentences,
                "kind_counts": dict(self.kinds.most_common()),
                "kind_rate_per_word": {k: round(self.rate(k), 5) for k, _ in self.kinds.most_common()},
                "op_counts": dict(self.ops.most_common()),
                "errors_per_sentence": {str(k): v for k, v in sorted(self.errors_per_sentence.items())},
                "top_char_patterns": [[*k, v] for k, v in self.char_patterns.most_common(40)]}


def measure(pairs, stats: ErrorStats | None = None) -> ErrorStats:
    """Count the word-level edits of (source, target) pairs (`Pair`s or tuples)."""
    stats = ErrorStats() if stats is None else stats
    classify, _ = classifier()
    for pair in pairs:
        source, target = (pair.source, pair.target) if hasattr(pair, "source") else pair
        src, tgt = source.split(), target.split()
        stats.sentences += 1
        stats.words += sum(not is_punct_token(t) for t in tgt)
        stats.target_words.update(tgt)
        before = sum(v for k, v in stats.kinds.items() if k != "punctuation")
        for group in _edit_groups(src, tgt):
            _count_block(stats, classify, src[group[0]:group[1]], tgt[group[2]:group[3]])
        after = sum(v for k, v in stats.kinds.items() if k != "punctuation")
        stats.errors_per_sentence[after - before] += 1
    return stats


def _edit_groups(src: list[str], tgt: list[str]) -> list[tuple[int, int, int, int]]:
    """Token spans of each edit: the non-equal blocks of a fast difflib alignment, each multi-token block
    refined by `nahawi.edits` align → merge (Arabic split/merge and clitic rules) when available."""
    try:
        from nahawi.edits import align_tokens as edit_align
        from nahawi.edits import merge_ops
    except ImportError:
        edit_align = merge_ops = None
    groups = []
    for b in align_tokens(src, tgt):
        if b.op == "equal":
            continue
        if merge_ops is None or (b.i2 - b.i1 <= 1 and b.j2 - b.j1 <= 1):
            groups.append((b.i1, b.i2, b.j1, b.j2))
            continue
        s, t = src[b.i1:b.i2], tgt[b.j1:b.j2]
        groups += [(b.i1 + g.i1, b.i1 + g.i2, b.j1 + g.j1, b.j1 + g.j2)
                   for g in merge_ops(edit_align(s, t), s, t)]
    return groups


def _count_block(stats: ErrorStats, classify, src: list[str], tgt: list[str]) -> None:
    """One non-equal alignment block: punctuation apart, then 1-1 substitutions, splits, merges."""
    src_words = [t for t in src if not is_punct_token(t)]
    tgt_words = [t for t in tgt if not is_punct_token(t)]
    punct_changes = max(len(src) - len(src_words), len(tgt) - len(tgt_words))
    if punct_changes:
        stats.kinds["punctuation"] += punct_changes
        stats.ops["punctuation"] += punct_changes
    if not src_words and not tgt_words:
        return
    if "".join(src_words) == "".join(tgt_words):
        op = "split" if len(src_words) > len(tgt_words) else "merge"  # writer split / merged words
        stats.ops[op] += 1
        stats.kinds["spacing"] += 1
        stats.confusions[" ".join(tgt_words)][" ".join(src_words)] += 1
    elif len(src_words) == len(tgt_words):
        for error, clean in zip(src_words, tgt_words):
            if error != clean:
                _count_substitution(stats, classify, error, clean)
    elif not src_words:
        stats.ops["missing_word"] += len(tgt_words)
        stats.kinds["word_choice"] += len(tgt_words)
    elif not tgt_words:
        stats.ops["extra_word"] += len(src_words)
        stats.kinds["word_choice"] += len(src_words)
    else:
        kind = classify(" ".join(src_words), " ".join(tgt_words))
        stats.ops["rewrite"] += 1
        stats.kinds[kind if kind != "none" else "other"] += 1
        stats.confusions[" ".join(tgt_words)][" ".join(src_words)] += 1


def _count_substitution(stats: ErrorStats, classify, error: str, clean: str) -> None:
    kind = classify(error, clean)
    kind = "other" if kind == "none" else kind
    stats.kinds[kind] += 1
    stats.ops["substitute"] += 1
    stats.confusions[clean][error] += 1
    opcodes = SequenceMatcher(None, clean, error, autojunk=False).get_opcodes()
    diffs = [op for op in opcodes if op[0] != "equal"]
    if len(diffs) == 1:  # one clean change: a reusable character pattern
        _, i1, i2, j1, j2 = diffs[0]
        where = "initial" if clean[:i1] in PREFIXES else "final" if i2 == len(clean) else "medial"
        stats.char_patterns[(kind, clean[i1:i2], error[j1:j2], where)] += 1
