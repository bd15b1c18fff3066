"""Tokens with code-point spans into the user's original text.

Owns two tokenisations: `tokenize_words` (whitespace-separated words, as the user sees them) and
`model_tokens` (the benchmark tokenisation the model reads, defined by `nahawi.text.punct.tokenize_punct`:
every punctuation or symbol character is a token of its own unless a digit follows it, as in `كلمة ، كلمة`).
Both return spans into the original string, so model output can be mapped back onto the user's own
spacing; neither ever changes the text. Knows nothing of sentences, models or edits.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from nahawi.errors import NahawiError
from nahawi.text.punct import tokenize_punct

_WORD = re.compile(r"\S+")  # \s on str patterns is Unicode whitespace, the same set as str.isspace()


@dataclass(frozen=True)
class Token:
    text: str
    start: int  # code-point offset into the original text
    end: int  # exclusive; text == original[start:end]


def tokenize_words(text: str) -> list[Token]:
    """Whitespace-separated words of text (any Unicode whitespace), with their spans."""
    return [Token(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def model_tokens(text: str) -> list[Token]:
    """The tokens the model sees (`nahawi.text.punct.tokenize_punct`), with spans in the original text.

    The benchmark tokeniser only adds and collapses spaces, so its tokens are found, in order, among the
    user's non-whitespace characters; together they cover every non-whitespace character exactly once.
    """
    tokens, pos = [], 0
    for piece in tokenize_punct(text).split():
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if not text.startswith(piece, pos):
            raise NahawiError(f"benchmark tokeniser changed the text at offset {pos}: {piece!r}")
        tokens.append(Token(piece, pos, pos + len(piece)))
        pos += len(piece)
    return tokens
