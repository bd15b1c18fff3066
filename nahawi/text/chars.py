"""Arabic character classes and comparison folds.

Owns: which code points count as Arabic letters, hamza forms, diacritics, tatweel, punctuation, digits and
confusable letter pairs, plus folds (`strip_diacritics`, `fold_hamza`, `skeleton`) that make two spellings
comparable. The folds are for *comparing* words (alignment, edit classification); they are never applied to
user text, which Nahawi always keeps byte for byte. Knows nothing of tokens, sentences or edits; the
benchmark's punctuation predicate is `nahawi.text.punct.is_punct_char`.
"""
from __future__ import annotations

import unicodedata

# Unicode blocks holding Arabic script: Arabic, Supplement, Extended-B/A, Presentation Forms-A/B.
_ARABIC_BLOCKS = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))


def _block_chars(category_prefix: str) -> frozenset[str]:
    return frozenset(chr(cp) for lo, hi in _ARABIC_BLOCKS for cp in range(lo, hi + 1)
                     if unicodedata.category(chr(cp)).startswith(category_prefix))


# Every letter (category Lo) of the Arabic blocks, including Persian/Urdu letters and presentation forms.
ARABIC_LETTERS: frozenset[str] = _block_chars("Lo")
# The 36 letters of Modern Standard Arabic spelling (hamza forms, ta marbuta and alif maqsura included).
MSA_LETTERS: frozenset[str] = frozenset("ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىي")
HAMZA_FORMS: frozenset[str] = frozenset("ءأإآؤئ")
ALIF_WASLA = "\u0671"  # ٱ
ALIF_FORMS: frozenset[str] = frozenset("اأإآ" + ALIF_WASLA)
TA_MARBUTA, HA, TA = "ة", "ه", "ت"
ALIF_MAQSURA, YA, ALIF = "ى", "ي", "ا"
TATWEEL = "\u0640"
# Harakat proper: fathatan .. sukun (U+064B-U+0652).
HARAKAT: frozenset[str] = frozenset(chr(cp) for cp in range(0x064B, 0x0653))
SUPERSCRIPT_ALIF = "\u0670"
# Every combining mark (Mn) of the Arabic blocks: harakat, shadda, maddah/hamza above/below, superscript
# alif, Quranic annotation marks.
DIACRITICS: frozenset[str] = _block_chars("Mn")
ARABIC_PUNCT: frozenset[str] = frozenset("،؛؟٪«»…٫٬۔؍؞٭﴾﴿")
LATIN_PUNCT: frozenset[str] = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" "“”‘’–—")
ARABIC_INDIC_DIGITS: frozenset[str] = frozenset("٠١٢٣٤٥٦٧٨٩")
EXTENDED_ARABIC_INDIC_DIGITS: frozenset[str] = frozenset("۰۱۲۳۴۵۶۷۸۹")
# Marks that end a sentence, closers that stay with it, and marks where a long sentence may be cut.
SENTENCE_FINAL: frozenset[str] = frozenset(".!?؟…۔‼⁇⁈⁉")
CLOSERS: frozenset[str] = frozenset(")]}»\"'”’›")
CLAUSE_BREAKS: frozenset[str] = frozenset("،؛,;:")

# Letters that writers confuse by sound (ض/ظ, د/ذ, ت/ط, س/ص, ث/ت, ز/ذ, ق/ك ...)
# or by dots (ب/ت/ث/ن, ج/ح/خ ...).
_CONFUSABLE_GROUPS = ("ضظ", "ضد", "دذ", "ذز", "ذظ", "زظ", "تط", "ثت", "ثس", "سص", "صض", "طظ", "قك", "قغ",
                      "حه", "رز", "سش", "عغ", "فق", "جحخ", "بتثن")
CONFUSABLE_PAIRS: frozenset[frozenset[str]] = frozenset(
    frozenset((a, b)) for group in _CONFUSABLE_GROUPS for a in group for b in group if a != b)

_HAMZA_FOLD = str.maketrans({"أ": ALIF, "إ": ALIF, "آ": ALIF, ALIF_WASLA: ALIF, "ؤ": "و", "ئ": YA})
_SKELETON_FOLD = str.maketrans({"أ": ALIF, "إ": ALIF, "آ": ALIF, ALIF_WASLA: ALIF, "ؤ": "و", "ئ": YA,
                                TA_MARBUTA: HA, ALIF_MAQSURA: YA,
                                **{d: str(n) for n, d in enumerate("٠١٢٣٤٥٦٧٨٩")},
                                **{d: str(n) for n, d in enumerate("۰۱۲۳۴۵۶۷۸۹")}})


def is_arabic_letter(ch: str) -> bool:
    """True for one Arabic-script letter (not a diacritic, digit, tatweel or punctuation mark)."""
    return ch in ARABIC_LETTERS


def is_diacritic(ch: str) -> bool:
    """True for one Arabic combining mark (harakat, shadda, superscript alif, Quranic marks)."""
    return ch in DIACRITICS


def is_confusable(a: str, b: str) -> bool:
    """True when letters a and b are a known sound- or shape-confusable pair."""
    return frozenset((a, b)) in CONFUSABLE_PAIRS


def has_arabic(text: str) -> bool:
    """True when text contains at least one Arabic letter."""
    return any(ch in ARABIC_LETTERS for ch in text)


_UNMARK = {ord(ch): None for ch in (*DIACRITICS, TATWEEL)}


def strip_diacritics(text: str) -> str:
    """text without Arabic diacritics and tatweel (for comparison, and the form corpus counts hold)."""
    return text.translate(_UNMARK)


def fold_hamza(word: str) -> str:
    """Fold hamza seats to their carriers (أ إ آ ٱ → ا, ؤ → و, ئ → ي); bare ء is kept. Comparison only."""
    return word.translate(_HAMZA_FOLD)


def skeleton(word: str) -> str:
    """The comparison key of a word: NFC, no diacritics or tatweel, hamza seats folded, ة → ه, ى → ي,
    Arabic-Indic digits → ASCII digits.

    Two spellings with the same skeleton differ only in hamza, ta marbuta, alif maqsura, diacritics or digit
    script.
    """
    return strip_diacritics(unicodedata.normalize("NFC", word)).translate(_SKELETON_FOLD)
