"""Punctuation handling of the benchmark protocol: tokenising and stripping text before M2 scoring.

Owns the two text transforms that the published QALB/ZAEBUC numbers apply to a system's output:
`tokenize_punct` (a space on each side of every punctuation or symbol character unless a digit follows,
then spaces collapsed) and `strip_punct` (the same, then every punctuation character deleted, for scoring
against the `.nopnx.m2` golds). It knows nothing about M2 files or models.

Two deliberate details, each checked against the shared data (see tests/core/test_punct.py):
- HTML character references that the QALB sources carry as single tokens (`&amp;`) stay whole when
  tokenising, and so does an underscore joining two letters (`بوتن_مدفيدف`), so that tokenising any gold
  source side is the identity and a system that copies its input proposes no edit.
- The tool that built the `.nopnx` golds deleted the characters of `&amp;` as a class, so the Latin
  letters a, m and p were deleted too (QALB-2015 dev: "xinjiang" became "xinjing"). `strip_punct` does
  the same, otherwise a copied Latin word would count as an edit against those golds.
"""
from __future__ import annotations

import re
import unicodedata

# Arabic marks that are not all P*/S* in every Unicode version; listed so the set never shrinks.
_ARABIC_PUNCT = "،؛؟٪٫٬۔﴾﴿"
# The Arabic form of each Latin mark Arabic text borrows (what the engine writes for it; `LATIN_FORM` undoes it
# for a dataset that writes marks the Latin way).
ARABIC_FORM = {",": "،", "?": "؟", ";": "؛"}
LATIN_FORM = str.maketrans({arabic: latin for latin, arabic in ARABIC_FORM.items()})
# Deleted by the nopnx protocol besides punctuation (see the module docstring).
_NOPNX_EXTRA = frozenset("amp")
_ENTITY = re.compile(r"&(?:[A-Za-z]+|#[0-9]+|#[xX][0-9A-Fa-f]+);")


def is_punct_char(ch: str) -> bool:
    """True for one punctuation or symbol character (Unicode categories P* and S*, Arabic marks included)."""
    return ch in _ARABIC_PUNCT or unicodedata.category(ch)[0] in "PS"


# A superset of the characters `is_punct_char` accepts: no P*/S* character other than "_" is a word or space
# character (checked over every code point in tests/core/test_punct.py), so the scan looks at these only.
_CANDIDATE = re.compile(r"[^\w\s]|_")


def _split_marks(segment: str) -> str:
    """segment with a space each side of every mark (not before a digit, not an underscore joining two
    letters). Only the candidate characters are looked at and the untouched runs are copied whole: a list
    of every character cost ~40 bytes per character of a long line."""
    out, cursor, last = [], 0, len(segment) - 1
    for match in _CANDIDATE.finditer(segment):
        i = match.start()
        ch = segment[i]
        following = segment[i + 1] if i < last else ""
        joiner = ch == "_" and i > 0 and segment[i - 1].isalpha() and following.isalpha()
        if joiner or following.isdecimal() or not is_punct_char(ch):
            continue
        out += (segment[cursor:i], f" {ch} ")
        cursor = i + 1
    out.append(segment[cursor:])
    return "".join(out)


def tokenize_punct(text: str) -> str:
    """Benchmark tokenisation: punctuation and symbols become separate tokens; whitespace is collapsed."""
    pieces, cursor = [], 0
    for match in _ENTITY.finditer(text):
        pieces.append(_split_marks(text[cursor:match.start()]))
        pieces.append(f" {match.group()} ")
        cursor = match.end()
    pieces.append(_split_marks(text[cursor:]))
    return " ".join("".join(pieces).split())


def strip_punct(text: str) -> str:
    """Benchmark no-punctuation text: tokenise, delete punctuation characters, drop emptied tokens."""
    tokens = []
    for token in tokenize_punct(text).split():
        kept = "".join(ch for ch in token if not is_punct_char(ch) and ch not in _NOPNX_EXTRA)
        if kept:
            tokens.append(kept)
    return " ".join(tokens)
