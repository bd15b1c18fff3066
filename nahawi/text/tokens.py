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
# A whitespace-separated word; group 1 is set when it is plain: only word characters other than "_", none
# of which `tokenize_punct` splits at (its marks are P*/S* characters and "_", "&" of an entity among
# them: see nahawi.text.punct, whose test checks it over every code point). One scan finds both.
_WORD_OR_PLAIN = re.compile(r"([^\W_]+)(?!\S)|\S+")


@dataclass(frozen=True)
class Token:
    text: str
    start: int  # code-point offset into the original text
    end: int  # exclusive; text == original[start:end]


def tokenize_words(text: str) -> list[Token]:
    """Whitespace-separated words of text (any Unicode whitespace), with their spans."""
    return [Token(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def model_tokens(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """The tokens the model sees (`nahawi.text.punct.tokenize_punct`) in text[start:end] (a slice that
    begins and ends at whitespace or at the text's ends), with spans in text.

    The benchmark tokeniser only adds and collapses spaces, and it looks no further than one character
    either side of a mark (an entity such as `&amp;` holds no space), so each whitespace-separated word
    is tokenised on its own: as one token when it holds no character the tokeniser may split at (most
    words), else as the tokeniser's pieces of it, found in order. Together the tokens cover every
    non-whitespace character exactly once.
    """
    tokens = []
    for match in _WORD_OR_PLAIN.finditer(text, start, len(text) if end is None else end):
        plain = match.group(1)
        if plain is not None:
            tokens.append(Token(plain, match.start(), match.end()))
            continue
        word, pos = match.group(), match.start()
        for piece in tokenize_punct(word).split():
            if not text.startswith(piece, pos):
                raise NahawiError(f"benchmark tokeniser changed the text at offset {pos}: {piece!r}")
            tokens.append(Token(piece, pos, pos + len(piece)))
            pos += len(piece)
        if pos != match.end():
            raise NahawiError(f"benchmark tokeniser changed the text at offset {pos}: {word!r}")
    return tokens
