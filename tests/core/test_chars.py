"""Arabic character classes and the comparison folds (which must never be mistaken for text changes)."""
import unicodedata

import pytest

from nahawi.text import chars
from nahawi.text.chars import (
    fold_hamza,
    has_arabic,
    is_arabic_letter,
    is_confusable,
    is_diacritic,
    skeleton,
    strip_diacritics,
)
from nahawi.text.punct import is_punct_char


def test_msa_letters_are_arabic_letters_and_nothing_else_is():
    assert all(is_arabic_letter(ch) for ch in chars.MSA_LETTERS)
    assert all(is_arabic_letter(ch) for ch in "پچژڤگکی" + chars.ALIF_WASLA)
    for ch in "a1٣۳،؟" + chars.TATWEEL + "".join(chars.HARAKAT) + chars.SUPERSCRIPT_ALIF:
        assert not is_arabic_letter(ch), ch


def test_hamza_ta_marbuta_and_maqsura_classes():
    assert frozenset("ءأإآؤئ") == chars.HAMZA_FORMS
    assert frozenset("اأإآٱ") == chars.ALIF_FORMS
    assert (chars.TA_MARBUTA, chars.HA, chars.ALIF_MAQSURA, chars.YA) == ("ة", "ه", "ى", "ي")


def test_diacritics_cover_harakat_shadda_sukun_and_superscript_alif():
    assert frozenset("\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652") == chars.HARAKAT
    assert chars.HARAKAT <= chars.DIACRITICS
    assert is_diacritic(chars.SUPERSCRIPT_ALIF) and is_diacritic("\u0653")  # maddah above
    assert not is_diacritic(chars.TATWEEL) and not is_diacritic("ا")
    assert all(unicodedata.combining(ch) for ch in chars.DIACRITICS)


def test_punctuation_sets_agree_with_the_benchmark_predicate():
    for ch in chars.ARABIC_PUNCT | chars.LATIN_PUNCT | chars.SENTENCE_FINAL | chars.CLAUSE_BREAKS:
        assert is_punct_char(ch), ch
    assert {"،", "؛", "؟", "٪", "«", "»", "…"} <= chars.ARABIC_PUNCT


def test_digit_sets():
    assert sorted(chars.ARABIC_INDIC_DIGITS) == list("٠١٢٣٤٥٦٧٨٩")
    assert all(ch.isdecimal() for ch in chars.ARABIC_INDIC_DIGITS | chars.EXTENDED_ARABIC_INDIC_DIGITS)


@pytest.mark.parametrize(("text", "expected"), [
    ("hello world", False), ("", False), ("١٢٣ ٤٥", False), ("hi مرحبا", True), ("ـ\u064e", False),
])
def test_has_arabic(text, expected):
    assert has_arabic(text) is expected


def test_strip_diacritics_removes_marks_and_tatweel_only():
    assert strip_diacritics("مُحَمَّدٌ") == "محمد"
    assert strip_diacritics("كـــتاب") == "كتاب"
    assert strip_diacritics("هٰذا، 😀") == "هذا، 😀"


def test_fold_hamza_keeps_bare_hamza():
    assert fold_hamza("أإآٱ") == "اااا"
    assert fold_hamza("مسؤول شاطئ سماء") == "مسوول شاطي سماء"


@pytest.mark.parametrize(("a", "b"), [
    ("إلى", "الى"), ("المدرسة", "المدرسه"), ("على", "علي"), ("أَكَلَ", "اكل"), ("كتـاب", "كتاب"),
    ("ا\u0654ن", "أن"),  # decomposed hamza above (NFD) compares equal to the composed letter
    ("١٩٩٠", "1990"),
])
def test_skeleton_equates_orthographic_variants(a, b):
    assert skeleton(a) == skeleton(b)


@pytest.mark.parametrize(("a", "b"), [("ضهر", "ظهر"), ("كتب", "كاتب"), ("سار", "صار"), ("شي", "شيء")])
def test_skeleton_keeps_real_letter_differences(a, b):
    assert skeleton(a) != skeleton(b)


def test_confusable_pairs_are_symmetric_and_distinct():
    assert is_confusable("ض", "ظ") and is_confusable("ظ", "ض")
    assert is_confusable("د", "ذ") and is_confusable("ق", "ك") and is_confusable("س", "ص")
    assert not is_confusable("ا", "ب") and not is_confusable("ض", "ض")
    assert all(len(pair) == 2 for pair in chars.CONFUSABLE_PAIRS)
