"""Word-level alignment of a source/target pair and segmentation of long pairs into aligned pieces.

A QALB or ZAEBUC line is a whole document, often longer than the model's window. We align the two
token sequences, find the cut points where both sides agree (boundaries inside or at the edge of an
unchanged run), and cut where inference cuts (after the source's sentence-final punctuation), else
greedily so every segment stays within a word budget. Nothing is ever truncated: the concatenation of
the segments is the
original token sequence on both sides, and a piece that cannot be cut within the budget is returned
flagged so the caller can drop it and count it. Knows nothing about error kinds or file formats.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher

SENTENCE_END = frozenset({".", "!", "?", "؟", "…", "..."})  # tokens after which a sentence ends


@dataclass(frozen=True)
class Block:
    op: str  # "equal", "replace", "insert" (target only), "delete" (source only)
    i1: int
    i2: int  # source tokens [i1, i2)
    j1: int
    j2: int  # target tokens [j1, j2)


def align_tokens(source: list[str], target: list[str]) -> list[Block]:
    """Word-level alignment as contiguous blocks (difflib longest matching runs, no junk heuristic)."""
    matcher = SequenceMatcher(None, source, target, autojunk=False)
    return [Block(*opcode) for opcode in matcher.get_opcodes()]


@dataclass(frozen=True)
class Cut:
    i: int  # source boundary: tokens before it belong to the left piece
    j: int  # target boundary
    source_end: bool  # the source token before the boundary ends a sentence (where inference cuts too)
    target_end: bool  # the target token before the boundary ends a sentence


def cut_points(source: list[str], target: list[str], blocks: list[Block] | None = None) -> list[Cut]:
    """Boundaries (i, j) where source[:i] is aligned exactly to target[:j], in increasing order."""
    blocks = align_tokens(source, target) if blocks is None else blocks
    n, m = len(source), len(target)
    cuts = [Cut(0, 0, False, False), Cut(n, m, True, True)]
    for block in blocks:
        if block.op != "equal":
            continue
        for k in range(block.i2 - block.i1 + 1):
            i, j = block.i1 + k, block.j1 + k
            # A cut touching one end but not the other would leave a piece with one empty side.
            if (i in (0, n)) != (j in (0, m)) or (i == 0) != (j == 0) or (i, j) in ((0, 0), (n, m)):
                continue
            cuts.append(Cut(i, j, source[i - 1] in SENTENCE_END, target[j - 1] in SENTENCE_END))
    return sorted(set(cuts), key=lambda c: (c.i, c.j))


@dataclass(frozen=True)
class Segment:
    source: str
    target: str
    fits: bool  # both sides within the word budget


def segment_tokens(source: list[str], target: list[str], max_words: int) -> list[Segment]:
    """Cut an aligned token pair into segments of at most `max_words` words per side where possible."""
    cuts = cut_points(source, target)
    segments, here = [], cuts[0]
    while (here.i, here.j) != (len(source), len(target)):
        ahead = [c for c in cuts if c.i > here.i and c.j > here.j] or [cuts[-1]]
        nxt = _choose_cut(here, ahead, max_words)
        src, tgt = source[here.i:nxt.i], target[here.j:nxt.j]
        segments.append(Segment(" ".join(src), " ".join(tgt), max(len(src), len(tgt)) <= max_words))
        here = nxt
    return segments


def _choose_cut(here: Cut, ahead: list[Cut], max_words: int) -> Cut:
    """Mirror inference (`nahawi.text.segment_text` cuts after each sentence-final mark of the input):
    the first source sentence end within budget; else the whole rest if it fits; else the last target
    sentence end within budget (if not tiny); else the last cut within budget; else the first cut beyond
    it (an over-budget piece, flagged by the caller)."""
    def width(c: Cut) -> int:
        return max(c.i - here.i, c.j - here.j)
    inside = [c for c in ahead if width(c) <= max_words]
    if not inside:
        return ahead[0]
    source_ends = [c for c in inside if c.source_end]
    if source_ends:
        return source_ends[0]
    if inside[-1] is ahead[-1]:
        return inside[-1]
    target_ends = [c for c in inside if c.target_end and width(c) >= max_words // 4]
    return target_ends[-1] if target_ends else inside[-1]


@dataclass
class SegmentReport:
    pairs_in: int = 0
    pairs_split: int = 0  # pairs cut into more than one segment
    segments_out: int = 0
    dropped: Counter = field(default_factory=Counter)  # reason -> segments dropped

    def as_dict(self) -> dict:
        return {"pairs_in": self.pairs_in, "pairs_split": self.pairs_split,
                "segments_out": self.segments_out, "dropped": dict(self.dropped)}


def segment_texts(source: str, target: str, max_words: int) -> list[Segment]:
    """`segment_tokens` on whitespace tokens of two texts (runs of spaces collapse to one)."""
    return segment_tokens(source.split(), target.split(), max_words)


def segment_pairs(pairs, max_words: int, report: SegmentReport | None = None):
    """Segment `Pair`s (readers.Pair) into in-budget pairs; over-budget or empty pieces are dropped and
    counted in `report` by reason."""
    from dataclasses import replace

    report = SegmentReport() if report is None else report
    out = []
    for pair in pairs:
        report.pairs_in += 1
        segments = segment_texts(pair.source, pair.target, max_words)
        report.pairs_split += len(segments) > 1
        for seg in segments:
            if not seg.fits:
                report.dropped["over_budget"] += 1
            elif not seg.source or not seg.target:
                report.dropped["empty_side"] += 1
            else:
                out.append(replace(pair, source=seg.source, target=seg.target))
                report.segments_out += 1
    return out, report
