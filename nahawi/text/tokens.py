"""Tokens with code-point spans into the user's original text.

Owns two tokenisations: `tokenize_words` (whitespace-separated words, as the user sees them) and
`model_tokens` (the benchmark tokenisation the model reads: every punctuation or symbol character is a
token of its own unless a digit follows it, as in `كلمة ، كلمة`). Both return spans into the original
string, so model output can be mapped back onto the user's own spacing; neither ever changes the text.
Knows nothing of sentences, models or edits.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from nahawi.text.chars import is_punct_or_symbol

_WORD = re.compile(r"\S+")  # \s on str patterns is Unicode whitespace, the same set as str.isspace()


@dataclass(frozen=True)
class Token:
    text: str
    start: int  # code-point offset into the original text
    end: int  # exclusive; text == original[start:end]


def tokenize_words(text: str) -> list[Token]:
    """Whitespace-separated words of text (any Unicode whitespace), with their spans."""
    return [Token(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _splits_off(text: str, i: int) -> bool:
    """True when text[i] is punctuation or a symbol that is not followed by a digit (so `3.5` stays whole)."""
    nxt = i + 1
    return is_punct_or_symbol(text[i]) and not (nxt < len(text) and text[nxt].isdecimal())


def _split_word(text: str, word: Token) -> list[Token]:
    out, begin = [], word.start
    for i in range(word.start, word.end):
        if _splits_off(text, i):
            if begin < i:
                out.append(Token(text[begin:i], begin, i))
            out.append(Token(text[i], i, i + 1))
            begin = i + 1
    if begin < word.end:
        out.append(Token(text[begin:word.end], begin, word.end))
    return out


def model_tokens(text: str) -> list[Token]:
    """The tokens the model sees, each with its span in the original text.

    Together they cover every non-whitespace character exactly once; `" ".join(t.text ...)` is the
    benchmark-style input line.
    """
    return [tok for word in tokenize_words(text) for tok in _split_word(text, word)]
