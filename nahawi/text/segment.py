"""Sentence-like segments of a long document, with spans into it.

Owns where a document is cut before it goes to the model: at line breaks and after sentence-final
punctuation (. ! ? ؟ … with any closing quote or bracket kept with its sentence), then, for a segment still
longer than `max_words` words, at the last comma-like mark (، ؛ , ; :) in its second half or else at a word
boundary. Segments never contain leading or trailing whitespace and the gaps between them are whitespace
only, so segments and gaps together rebuild the text exactly. Knows nothing of models or edits.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from nahawi.errors import InputError
from nahawi.text.chars import CLAUSE_BREAKS, CLOSERS, SENTENCE_FINAL, is_arabic_letter
from nahawi.text.tokens import _WORD

DEFAULT_MAX_WORDS = 64
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")  # what str.splitlines() breaks on
_SENTENCE_END = re.compile(
    f"[{re.escape(''.join(sorted(SENTENCE_FINAL)))}]+[{re.escape(''.join(sorted(CLOSERS)))}]*")


@dataclass(frozen=True)
class Segment:
    text: str
    start: int  # code-point offset into the document
    end: int  # exclusive; text == document[start:end]


def segment_text(text: str, max_words: int = DEFAULT_MAX_WORDS) -> list[Segment]:
    """Cut text into sentence-like segments of at most max_words whitespace-separated words."""
    if max_words < 1:
        raise InputError(f"max_words must be at least 1, got {max_words}")
    segments = []
    for start, end in _sentence_spans(text):
        segments.extend(_split_long(text, start, end, max_words))
    return segments


def _cut_points(text: str) -> list[int]:
    """Sorted offsets where a sentence ends: at each line break and after each sentence-final run that is
    followed by whitespace, the end of the text or an Arabic letter (so `3.5` and `a.com` are not cut)."""
    cuts = {i for i, ch in enumerate(text) if ch in LINE_BREAKS}
    for match in _SENTENCE_END.finditer(text):
        k = match.end()
        if k == len(text) or text[k].isspace() or is_arabic_letter(text[k]):
            cuts.add(k)
    return sorted(cuts)


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Whitespace-trimmed, non-empty spans between consecutive cut points."""
    spans, begin = [], 0
    for cut in [*_cut_points(text), len(text)]:
        piece = text[begin:cut]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            spans.append((begin + lead, begin + lead + len(stripped)))
        begin = cut
    return spans


def _split_long(text: str, start: int, end: int, max_words: int) -> list[Segment]:
    """Split one sentence, text[start:end], into pieces of at most max_words words. Its words are read as
    a stream with at most max_words + 1 of them held: a whole unpunctuated document is one sentence, and a
    Token per word of it cost ~25 MB per MB of text."""
    pieces: list[Segment] = []
    window: list[tuple[int, int]] = []  # (start, end) of the words not yet in a piece
    for match in _WORD.finditer(text, start, end):
        window.append(match.span())
        if len(window) > max_words:  # more words follow the allowed window: cut inside it
            k = _cut_after(text, window, max_words)
            pieces.append(_piece(text, window[0][0], window[k - 1][1]))
            del window[:k]
    if window:
        pieces.append(_piece(text, window[0][0], window[-1][1]))
    return pieces


def _piece(text: str, start: int, end: int) -> Segment:
    return Segment(text[start:end], start, end)


def _cut_after(text: str, words: list[tuple[int, int]], max_words: int) -> int:
    """How many of `words` (more than max_words) the next piece takes: up to the last clause break in the
    second half of the allowed window, else exactly max_words."""
    for k in range(max_words, max(1, max_words // 2) - 1, -1):
        if text[words[k - 1][1] - 1] in CLAUSE_BREAKS:
            return k
    return max_words
