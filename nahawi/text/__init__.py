"""Arabic text layer: character classes, tokens with spans, segments, UTF-16 offsets, punctuation.

Everything here works on the user's text without ever changing it; folds such as `skeleton` exist for
comparison only.
"""
from nahawi.text.chars import (
    fold_hamza,
    has_arabic,
    is_arabic_letter,
    is_confusable,
    is_diacritic,
    skeleton,
    strip_diacritics,
)
from nahawi.text.offsets import codepoint_offset, utf16_length, utf16_offset
from nahawi.text.punct import is_punct_char, strip_punct, tokenize_punct
from nahawi.text.segment import Segment, segment_text
from nahawi.text.tokens import Token, model_tokens, tokenize_words

__all__ = [
    "Segment",
    "Token",
    "codepoint_offset",
    "fold_hamza",
    "has_arabic",
    "is_arabic_letter",
    "is_confusable",
    "is_diacritic",
    "is_punct_char",
    "model_tokens",
    "segment_text",
    "skeleton",
    "strip_diacritics",
    "strip_punct",
    "tokenize_punct",
    "tokenize_words",
    "utf16_length",
    "utf16_offset",
]
