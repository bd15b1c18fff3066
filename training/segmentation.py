"""Target pieces that follow the source's: what `TrainConfig.target_pieces` chooses for the seq2seq's targets.

SentencePiece segments a misspelt word and its correction independently, often into nothing alike:
`الارمن` is `▁ال ار من` and `الأرمن` one piece `▁الأرمن`; `و النظام` is `▁و ▁النظام` and `والنظام` one piece. A
small seq2seq must then spell, from memory, a piece its source never shows, and on rare words it misspells
(`الارمن` → `الأمن`, `و البنت` → `وات`, `و يأخذوا` → `وي يأخذوا`: docs/RESULTS.md, 2026-12-07 sixth session).
Any sequence of pieces decodes to the same text, so the targets can be cut otherwise at no cost to decoding:

- "joins": a target word that joins two source words (exactly, or a one- or two-letter word with a respelt
  neighbour: `و الحمايه` → `والحماية`) is the first word's pieces and then the rest as pieces that start no word;
- "aligned": the joins, and a word corrected in place (`الارمن` → `الأرمن`) cut where the source word's pieces
  are cut (`▁ال أر من`): the correction changes one piece and copies the others.

A word keeps SentencePiece's pieces where no such cut exists (a letter without a piece of its own), and a whole
target keeps them if the new pieces would not decode to the same text. Knows nothing of training loops or files.
"""
from __future__ import annotations

from difflib import SequenceMatcher
from itertools import pairwise

WORD_START = "\u2581"  # SentencePiece's mark of a piece that begins a word
TARGET_PIECES = ("sentencepiece", "joins", "aligned")
SHORT_WORD = 2  # a word this long or shorter may join a respelt neighbour (و, ف, يا, ما, لا)
RESPELT_MIN = 0.75  # similarity of the rest of a joined word to the source neighbour
ALIGNED_MIN = 0.5  # similarity of a word corrected in place to its source word (below: a word choice)


class TargetPieces:
    """`encode(source, target)` → target ids, the words' pieces following the source's as `mode` says."""

    def __init__(self, sp, mode: str = "aligned"):
        if mode not in TARGET_PIECES:
            raise ValueError(f"target pieces {mode!r}: one of {', '.join(TARGET_PIECES)}")
        self.sp, self.mode = sp, mode
        size = sp.get_piece_size()
        pieces = [(i, sp.id_to_piece(i)) for i in range(size) if not (sp.is_control(i) or sp.is_unknown(i))]
        self.inner = {p: i for i, p in pieces if not p.startswith(WORD_START)}
        self.start = {p: i for i, p in pieces if p.startswith(WORD_START)}
        self.longest = max(map(len, self.inner), default=1)

    def encode(self, source: str, target: str) -> list[int]:
        plain = self.sp.encode(target)
        if self.mode == "sentencepiece":
            return plain
        words = target.split()
        groups = self._word_groups(plain)
        if len(groups) != len(words):  # a word the normaliser splits or drops: keep SentencePiece's pieces
            return plain
        rewrites = self._rewrites(source.split(), words)
        if not rewrites:
            return plain
        ids: list[int] = []
        for k, group in enumerate(groups):
            pieces = rewrites.get(k)
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

    def _rewrites(self, source: list[str], target: list[str]) -> dict:
        """target index → that word's pieces (None: keep the plain ones)."""
        rewrites = {}
        for k, (first, second) in word_pairs(source, target).items():
            if second is not None:
                rewrites[k] = self._joined(first, second, target[k])
            elif self.mode == "aligned":
                rewrites[k] = self._ids(self._cut_like(first, target[k]), word_start=True)
        return rewrites

    def _joined(self, first: str, second: str, word: str) -> list[int] | None:
        """`word` = `first` + the rest, which is cut like `second` (aligned mode) or as SentencePiece cuts it."""
        rest = word[len(first):]
        parts = self._cut_like(second, rest) if self.mode == "aligned" else [rest]
        inner = self._ids(parts, word_start=False)
        return None if inner is None else self.sp.encode(first) + inner

    def _cut_like(self, written: str, word: str) -> list[str]:
        """`word` cut where the source's `written` is cut, the cuts carried over the letters both share."""
        carried = (_carry(end, written, word) for end in _piece_ends(self.sp, written))
        cuts = sorted({c for c in carried if c and c < len(word)})
        return [word[a:b] for a, b in pairwise([0, *cuts, len(word)])]

    def _ids(self, parts: list[str], word_start: bool) -> list[int] | None:
        """Pieces spelling the parts in order, a word-start mark on the first one only if `word_start`; a part
        with no piece of its own is spelt SentencePiece's way (the first) or by longest match; None if a
        letter has no piece."""
        ids: list[int] = []
        for k, part in enumerate(parts):
            if k == 0 and word_start:
                piece = self.start.get(WORD_START + part)
                ids.extend([piece] if piece is not None else self.sp.encode(part))
                continue
            piece = self.inner.get(part)
            more = [piece] if piece is not None else self._longest_match(part)
            if more is None:
                return None
            ids.extend(more)
        return ids

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


def word_pairs(source: list[str], target: list[str]) -> dict[int, tuple[str, str | None]]:
    """target index → (source word, None) for a word corrected in place, (first, second) for a word that joins
    two adjacent source words, within the runs difflib finds changed, matched left to right."""
    found: dict[int, tuple[str, str | None]] = {}
    matcher = SequenceMatcher(None, source, target, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op != "replace":
            continue
        i = a0
        for k in range(b0, b1):
            word = target[k]
            if i + 1 < a1 and _joins(source[i], source[i + 1], word):
                found[k] = (source[i], source[i + 1])
                i += 2
                continue
            scores = [(_alike(source[j], word), j) for j in range(i, min(a1, i + 3))]
            if scores and max(scores)[0] >= ALIGNED_MIN:
                j = max(scores)[1]
                found[k] = (source[j], None)
                i = j + 1
    return found


def _joins(first: str, second: str, word: str) -> bool:
    """`word` is `first` + `second`, or a short `first` + a respelt `second` (`و الحمايه` → `والحماية`)."""
    if word == first + second:
        return True
    return (len(first) <= SHORT_WORD and word.startswith(first) and len(word) > len(first)
            and _alike(second, word[len(first):]) >= RESPELT_MIN)


def _alike(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _piece_ends(sp, word: str) -> list[int]:
    """Letter offsets in `word` where its SentencePiece pieces end (the last one excluded)."""
    ends, position = [], 0
    for piece in sp.encode(word, out_type=str):
        position += len(piece) - piece.startswith(WORD_START)
        ends.append(position)
    return [e for e in ends[:-1] if 0 < e < len(word)]


def _carry(cut: int, written: str, word: str) -> int | None:
    """Where a cut between written[cut - 1] and written[cut] falls in `word`: beside the letter on either side
    if the alignment of the two words keeps it; None if both letters were changed."""
    for a, b, size in SequenceMatcher(None, written, word, autojunk=False).get_matching_blocks():
        if a < cut <= a + size:  # written[cut - 1] is kept
            return b + cut - a
        if a <= cut < a + size:  # written[cut] is kept
            return b + cut - a
    return None
