"""Step 3 of edit extraction: give an edit a stable kind id from `nahawi.kinds.KINDS`.

Owns the rules that name an error from the original and replacement text alone: punctuation (only
punctuation differs), spacing (words joined or split, letters the same or nearly so), then, for the first
changed word, hamza / ta_marbuta / alif_maqsura / letter_confusion when every character-level difference is
of that sort, morphology when only an affix or ending differs around a shared stem, and word_choice or other
by how similar the words are. Knows nothing of offsets, alignment or where the edit came from.
"""
from __future__ import annotations

import difflib
import unicodedata

from nahawi.text.chars import (
    ALIF,
    ALIF_FORMS,
    ALIF_MAQSURA,
    HA,
    HAMZA_FORMS,
    TA,
    TA_MARBUTA,
    YA,
    is_confusable,
    skeleton,
    strip_diacritics,
)
from nahawi.text.punct import is_punct_char

_HAMZA_CLASS = HAMZA_FORMS | ALIF_FORMS | frozenset("وي" + ALIF_MAQSURA)
_HAMZA_MARKED = HAMZA_FORMS | frozenset("\u0671")  # forms that carry (or, for ٱ, mark) a hamza decision
_ALIF_OR_HAMZA = HAMZA_FORMS | ALIF_FORMS
_TA_PAIRS = frozenset({(TA_MARBUTA, HA), (HA, TA_MARBUTA), (TA_MARBUTA, TA), (TA, TA_MARBUTA)})
_MAQSURA_PAIRS = frozenset({(ALIF_MAQSURA, YA), (YA, ALIF_MAQSURA)})
_MAQSURA_END_PAIRS = frozenset({(ALIF_MAQSURA, ALIF), (ALIF, ALIF_MAQSURA)})
_MAX_AFFIX = 3  # longest affix (in letters) a morphology edit may change
_SAME_WORD_RATIO = 0.5  # below this character similarity a replacement is a different word
_RESPACED_RATIO = 0.75  # a split/merge whose letters are this similar is a spacing error first


def classify_edit(original: str, replacement: str) -> str:
    """Kind id of replacing original by replacement (surrounding whitespace is ignored)."""
    o, r = original.strip(), replacement.strip()
    if o == r:
        return "spacing" if original != replacement else "other"
    o_words, r_words = _words(o), _words(r)
    if o_words == r_words:  # the words are untouched: punctuation added, removed, changed or moved
        return "spacing" if "".join(o.split()) == "".join(r.split()) else "punctuation"
    if not o_words or not r_words:
        return "word_choice"
    if len(o_words) != len(r_words):  # split or merge, perhaps with a spelling fix (`لاتعلمو` → `لا تعلمون`)
        joined_o, joined_r = "".join(o_words), "".join(r_words)
        if _similarity(skeleton(joined_o), skeleton(joined_r)) >= _RESPACED_RATIO:
            return "spacing"
        return classify_word(joined_o, joined_r)
    return next(classify_word(a, b) for a, b in zip(o_words, r_words, strict=True) if a != b)


def classify_word(a: str, b: str) -> str:
    """Kind id of replacing word a by word b (neither contains whitespace or punctuation)."""
    a0, b0 = (strip_diacritics(unicodedata.normalize("NFC", w)) for w in (a, b))
    if a0 == b0:
        return "other"  # only diacritics or tatweel differ
    kinds = [_block_kind(x, y, at_end) for x, y, at_end in _diff_blocks(a0, b0)]
    if kinds and None not in kinds:
        return kinds[0]
    if _hamza_only(a0, b0):
        return "hamza"
    sa, sb = skeleton(a0), skeleton(b0)
    if _affix_change(sa, sb):
        return "morphology"
    return "other" if _similarity(sa, sb) >= _SAME_WORD_RATIO else "word_choice"


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _words(text: str) -> list[str]:
    """Words of text with punctuation and symbols treated as separators."""
    return "".join(" " if is_punct_char(ch) else ch for ch in text).split()


def _diff_blocks(a: str, b: str) -> list[tuple[str, str, bool]]:
    """Differing character blocks (from a, from b, whether the block ends both words)."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [(a[i1:i2], b[j1:j2], i2 == len(a) and j2 == len(b))
            for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _block_kind(x: str, y: str, at_end: bool) -> str | None:
    """Kind of one character-level difference, or None when it is not purely orthographic/confusable."""
    chars = set(x + y)
    if chars <= _HAMZA_CLASS and chars & _HAMZA_MARKED:
        return "hamza"
    if (x, y) in _TA_PAIRS:
        return "ta_marbuta"
    if (x, y) in _MAQSURA_PAIRS or (at_end and (x, y) in _MAQSURA_END_PAIRS):
        return "alif_maqsura"
    if x and len(x) == len(y) and all(is_confusable(p, q) for p, q in zip(x, y, strict=True)):
        return "letter_confusion"
    return None


def _collapse_alif_hamza(word: str) -> str:
    """word with each run of alif/hamza forms replaced by one placeholder (hamza placement only)."""
    out: list[str] = []
    for ch in word:
        if ch in _ALIF_OR_HAMZA:
            if not out or out[-1] != "*":
                out.append("*")
        else:
            out.append(ch)
    return "".join(out)


def _hamza_only(a: str, b: str) -> bool:
    """True when a and b differ only in how hamza and alif are written (`هاؤلاء` → `هؤلاء`, `جا` → `جاء`)."""
    has_hamza = any(ch in HAMZA_FORMS for ch in a + b)
    return has_hamza and _collapse_alif_hamza(a) == _collapse_alif_hamza(b)


def _affix_change(a: str, b: str) -> bool:
    """True when a and b share a stem and differ only in a short ending (`ون` ↔ `ين`, `تنصر` → `تنصروا`)
    or a short beginning (`يكتب` ↔ `تكتب`, `كتاب` → `الكتاب`)."""
    prefix = len(_common_prefix(a, b))
    suffix = len(_common_prefix(a[prefix:][::-1], b[prefix:][::-1]))
    changed = max(len(a), len(b)) - prefix - suffix
    if changed > _MAX_AFFIX:
        return False
    return (suffix <= 1 and prefix >= 2) or (prefix <= 1 and suffix >= 3)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]
