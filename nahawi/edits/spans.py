"""Turn merged token groups into exact character spans of the source and corrected texts.

Owns exactness: every character outside the returned spans is identical in source and corrected, so
replacing each source span by its corrected span rebuilds the corrected text. Whitespace that differs next to
an insertion or deletion is absorbed into it (a deleted word takes one neighbouring space with it, an inserted
word brings one); any other whitespace difference (`المدرسه.` → `المدرسة .`) becomes an edit of its own, so
word edits stay whole words and the engine can tell spacing-only edits apart. Knows nothing of alignment
costs or kinds.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nahawi.edits.merge import Group
from nahawi.text.tokens import Token


@dataclass
class Span:
    """A source stretch and the corrected stretch that replaces it (mutable while spans are widened)."""

    s: int  # source [s, e)
    e: int
    cs: int  # corrected [cs, ce)
    ce: int


def _one_sided(sp: Span | None) -> bool:
    """True for an insertion or a deletion (one side empty), which may absorb neighbouring whitespace."""
    return sp is not None and (sp.s == sp.e or sp.cs == sp.ce)


def exact_spans(groups: Sequence[Group], source: str, corrected: str,
                src: Sequence[Token], cor: Sequence[Token]) -> list[Span]:
    """Source/corrected spans of the groups, widened or supplemented until the text outside them agrees."""
    spans = [Span(*_side(src, g.i1, g.i2), *_side(cor, g.j1, g.j2)) for g in groups]
    extra: list[Span] = []
    for k in range(len(spans) + 1):
        prev = spans[k - 1] if k else None
        nxt = spans[k] if k < len(spans) else None
        toks = (src[groups[k - 1].i2 if k else 0:groups[k].i1 if nxt else len(src)],
                cor[groups[k - 1].j2 if k else 0:groups[k].j1 if nxt else len(cor)])
        piece = Span(prev.e if prev else 0, nxt.s if nxt else len(source),
                     prev.ce if prev else 0, nxt.cs if nxt else len(corrected))
        extra += _reconcile(piece, toks, source, corrected, prev, nxt)
    return _coalesce(sorted(spans + extra, key=lambda sp: (sp.s, sp.e)))


def _side(tokens: Sequence[Token], a: int, b: int) -> tuple[int, int]:
    """Span of tokens[a:b]; for an empty range, the point right after the preceding token."""
    if a < b:
        return tokens[a].start, tokens[b - 1].end
    pos = tokens[a - 1].end if a else (tokens[0].start if tokens else 0)
    return pos, pos


def _reconcile(piece: Span, toks: tuple[Sequence[Token], Sequence[Token]], source: str, corrected: str,
               prev: Span | None, nxt: Span | None) -> list[Span]:
    """Make one stretch between edits agree: absorb edge whitespace into neighbours, return inner edits."""
    if source[piece.s:piece.e] == corrected[piece.cs:piece.ce]:
        return []
    src_toks, cor_toks = toks
    if not src_toks or len(src_toks) != len(cor_toks):
        return _absorb_whole(piece, prev, nxt)
    # Gaps around and between the unchanged tokens: [(s, e, cs, ce)], lead first, trail last.
    s_edges = [piece.s, *(x for t in src_toks for x in (t.start, t.end)), piece.e]
    c_edges = [piece.cs, *(x for t in cor_toks for x in (t.start, t.end)), piece.ce]
    gaps = [Span(s_edges[n], s_edges[n + 1], c_edges[n], c_edges[n + 1]) for n in range(0, len(s_edges), 2)]
    out = []
    for n, gap in enumerate(gaps):
        if source[gap.s:gap.e] == corrected[gap.cs:gap.ce]:
            continue
        if n == 0 and _one_sided(prev):
            prev.e, prev.ce = gap.e, gap.ce
        elif n == len(gaps) - 1 and _one_sided(nxt):
            nxt.s, nxt.cs = gap.s, gap.cs
        else:
            out.append(gap)
    return out


def _absorb_whole(piece: Span, prev: Span | None, nxt: Span | None) -> list[Span]:
    """A differing stretch with no unchanged token: give it to an adjacent insertion/deletion if any."""
    if _one_sided(prev):
        prev.e, prev.ce = piece.e, piece.ce
    elif _one_sided(nxt):
        nxt.s, nxt.cs = piece.s, piece.cs
    else:
        return [piece]
    return []


def _coalesce(spans: list[Span]) -> list[Span]:
    """Join insertions at the same point, so no two edits share a position."""
    out: list[Span] = []
    for sp in spans:
        last = out[-1] if out else None
        if last and last.s == last.e == sp.s == sp.e and last.ce == sp.cs:
            last.e, last.ce = sp.e, sp.ce
        else:
            out.append(sp)
    return out
