"""Target pieces that keep a joined word close to its source: what `TrainConfig.copy_joins` encodes.

SentencePiece writes `والنظام` as one piece (`▁والنظام`) and `و النظام` as two (`▁و ▁النظام`), so a seq2seq that
joins the two words must spell a piece its source never shows, and the small one does it badly: `و البنت` →
`وات`, `و يأخذوا` → `وي يأخذوا` (docs/RESULTS.md, 2026-12-07 sixth session). Encoded here, a target word that
joins two adjacent source words — exactly, or a one- or two-letter word with a respelt neighbour (`و الحمايه` →
`والحماية`) — is the first word's pieces followed by the rest of the word as pieces that start no word: the
join is one word-start mark dropped, the rest a copy. Any sequence of pieces decodes to the same text, so
decoding needs nothing new; the pieces are checked to decode to the target, else the plain ones are kept.
Knows nothing of training loops or files.
"""
from __future__ import annotations

from difflib import SequenceMatcher
from itertools import pairwise

WORD_START = "\u2581"  # SentencePiece's mark of a piece that begins a word
SHORT_WORD = 2  # a word this long or shorter may join a respelt neighbour (و, ف, يا, ما, لا)
RESPELT_MIN = 0.75  # similarity of the rest of the joined word to the source neighbour


class JoinEncoder:
    """`encode(source, target)` → target ids, with the joined words' pieces source-aligned."""

    def __init__(self, sp):
        self.sp = sp
        self.unk = sp.unk_id()
        size = sp.get_piece_size()
        self.inner = {p: i for i in range(size) if not (p := sp.id_to_piece(i)).startswith(WORD_START)
                      and not sp.is_control(i) and not sp.is_unknown(i)}
        self.longest = max(map(len, self.inner), default=1)

    def encode(self, source: str, target: str) -> list[int]:
        plain = self.sp.encode(target)
        words = target.split()
        groups = self._word_groups(plain)
        if len(groups) != len(words):  # a word the normaliser splits or drops: keep SentencePiece's pieces
            return plain
        joins = self._joins(source.split(), words)
        if not joins:
            return plain
        ids: list[int] = []
        for k, (word, group) in enumerate(zip(words, groups)):
            pieces = self._joined(*joins[k]) if k in joins else None
            ids.extend(pieces if pieces is not None else group)
        return ids if self.sp.decode(ids) == self.sp.decode(plain) else plain

    def _word_groups(self, ids: list[int]) -> list[list[int]]:
        groups: list[list[int]] = []
        for piece in ids:
            if self.sp.id_to_piece(piece).startswith(WORD_START) or not groups:
                groups.append([piece])
            else:
                groups[-1].append(piece)
        return groups

    @staticmethod
    def _joins(source: list[str], target: list[str]) -> dict[int, tuple[str, str]]:
        """target index → (first source word, rest of the target word) for the words that join two source words."""
        known = set(source)
        exact = {a + b: a for a, b in pairwise(source)}
        short = [(a, b) for a, b in pairwise(source) if len(a) <= SHORT_WORD]
        joins = {}
        for k, word in enumerate(target):
            if word in known:
                continue
            first = exact.get(word)
            if first is None:
                first = next((a for a, b in short if word.startswith(a) and len(word) > len(a)
                              and SequenceMatcher(None, word[len(a):], b).ratio() >= RESPELT_MIN), None)
            if first is not None:
                joins[k] = (first, word[len(first):])
        return joins

    def _joined(self, first: str, rest: str) -> list[int] | None:
        inner = self._inner_pieces(rest)
        return None if inner is None else self.sp.encode(first) + inner

    def _inner_pieces(self, text: str) -> list[int] | None:
        """`text` as pieces that start no word: SentencePiece's own pieces with the first one's mark removed,
        that piece cut by longest match where it has no unmarked twin; None if a letter has no piece."""
        pieces = self.sp.encode(text, out_type=str)
        head = pieces[0][len(WORD_START):] if pieces and pieces[0].startswith(WORD_START) else None
        if head is None:
            return None
        ids = self._longest_match(head) if head else []
        if ids is None:
            return None
        tail = [self.inner.get(p) for p in pieces[1:]]
        return None if None in tail else ids + tail

    def _longest_match(self, text: str) -> list[int] | None:
        ids, start = [], 0
        while start < len(text):
            for end in range(min(len(text), start + self.longest), start, -1):
                if (piece := self.inner.get(text[start:end])) is not None:
                    ids.append(piece)
                    start = end
                    break
            else:
                return None
        return ids
