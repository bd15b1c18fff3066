"""A bounded search for sentences whose exact MaxMatch lattice is too large to build.

When a hypothesis shares almost nothing with a long source, the official closure has O(V^2) arcs over
O(n·m) vertices and the official scorer runs for hours or days (`nahawi.m2.lattice.ARC_BUDGET`). For
those sentences this module finds the path the official weights favour without listing the closure: a
dynamic program over the base lattice whose states remember how many unchanged words the current merged
edit holds. Its objective is the official one in exact arithmetic (most gold matches, then fewest base
arcs, then fewest penalised edits); what it cannot reproduce is the official tie-breaking and the arcs
that the official closure order happens to reject, so counts can differ slightly on such sentences,
and the scorer flags them (`SentenceScore.exact`). It knows nothing about annotators or totals.
"""
from __future__ import annotations

from itertools import pairwise

from nahawi.m2.lattice import NOOP, BaseLattice
from nahawi.m2.reader import GoldEdit
from nahawi.m2.search import Edit, weigh_insertions

_GOLD = 10 ** 15  # one gold match outweighs any sum of base-arc weights
_ARC = 1000  # one base arc in thousandths; EPSILON is 1


class _Graph:
    """The base lattice as adjacency lists, with the official labels of its arcs."""

    def __init__(self, base: BaseLattice):
        self.base, self.nv = base, base.nv
        self.succ: list[list[tuple[int, int, int]]] = [[] for _ in range(base.nv)]  # (v, kind, listings)
        self.label: dict[tuple[int, int], tuple[int, int, int, int, int]] = {}
        self.listings: dict[tuple[int, int], int] = {}  # 2 for an arc of both alignments
        for u, v, kind in base.arcs:
            if (u, v) not in self.label:
                self.label[(u, v)] = base.label(u, v, kind)
            self.listings[(u, v)] = self.listings.get((u, v), 0) + 1
        for (u, v), (kind, *_) in self.label.items():
            self.succ[u].append((v, kind, self.listings[(u, v)]))
        self.at = {(r, c): i for i, (r, c) in enumerate(zip(base.rows, base.cols, strict=True))}
        self.by_row: dict[int, list[int]] = {}
        for i, r in enumerate(base.rows):
            self.by_row.setdefault(r, []).append(i)

    def connected(self, u: int, v: int, max_unchanged: int) -> bool:
        """Whether one arc of the closure can join u to v: a base arc, or a path with an edit and at most
        max_unchanged unchanged words."""
        if (u, v) in self.label:
            return True
        row, col = self.base.rows[v], self.base.cols[v]
        stack, seen = [(u, 0, False)], set()
        while stack:
            x, unchanged, edited = stack.pop()
            for y, kind, _ in self.succ[x]:
                state = (y, unchanged + (kind == NOOP), edited or kind != NOOP)
                if state[1] > max_unchanged or state in seen:
                    continue
                if y == v and state[2]:
                    return True
                if self.base.rows[y] <= row and self.base.cols[y] <= col:
                    seen.add(state)
                    stack.append(state)
        return False

    def _insertion_arcs(self, s: int) -> list[tuple[int, int, int]]:
        """The closure's arcs labelled (s, s), as (u, v, listings): every run of insertions in row s
        (none of them is ever improved, so a transitive one is listed once), and the single row-0
        insertion that the j-1 quirk labels (s, s)."""
        arcs = []
        u, v = self.at.get((0, s)), self.at.get((0, s + 1))
        if u is not None and v is not None:
            arcs.append((u, v, self.listings[(u, v)]))
        if s == 0:
            return arcs
        for u in self.by_row.get(s, []):
            x, listings = u, None
            while (y := self.at.get((s, self.base.cols[x] + 1))) is not None and (x, y) in self.label:
                arcs.append((u, y, self.listings[(x, y)] if listings is None else 1))
                x, listings = y, 1
        return arcs

    def _labelled_from_column(self, u: int, v: int, max_unchanged: int) -> bool:
        """Whether the closure labels u → v with the j-1 quirk: from (0, b), b > 0, the official loop
        first composes the path that starts with an insertion, so a merged arc's start is b, not 0."""
        if self.base.rows[u] != 0 or self.base.cols[u] == 0 or (u, v) in self.label:
            return False
        w = self.at.get((0, self.base.cols[u] + 1))
        return w is not None and (u, w) in self.label and (w == v or self.connected(w, v, max_unchanged))

    def _insertion_gold(self, s: int, golds: list[GoldEdit], hyp: list[str]) -> list[tuple[int, int]]:
        """Arcs labelled (s, s) that the official alternating left/right matching weighs as gold."""
        nv, cols = self.nv, self.base.cols
        keys = sorted(u * nv + v for u, v, listings in self._insertion_arcs(s) for _ in range(listings))
        weights = dict.fromkeys(keys, 1.0)

        def match(key: int, gold: GoldEdit) -> bool:
            u, v = divmod(key, nv)
            return gold.original == "" and " ".join(hyp[cols[u]:cols[v]]) in gold.corrections

        weigh_insertions(keys, golds, weights, nv, match, -1)
        return [divmod(key, nv) for key in sorted({k for k in keys if weights[k] < 0})]

    def _edit_gold(self, gold: GoldEdit, hyp: list[str], max_unchanged: int) -> list[tuple[int, int]]:
        """Arcs from row gold.start to row gold.end whose hypothesis tokens are one of the corrections."""
        found = []
        for tokens in (c.split() for c in gold.corrections):
            for u in self.by_row.get(gold.start, []):
                b = self.base.cols[u]
                v = self.at.get((gold.end, b + len(tokens)))
                if v is None or hyp[b:b + len(tokens)] != tokens or (u, v) in found:
                    continue
                if not self._labelled_from_column(u, v, max_unchanged) and self.connected(u, v, max_unchanged):
                    found.append((u, v))
        return found

    def gold_arcs(self, gold: tuple[GoldEdit, ...], hyp: list[str], max_unchanged: int):
        """For each vertex, the (vertex, gold span) pairs that one gold-matching arc reaches from it."""
        out: list[list[tuple[int, tuple[int, int]]]] = [[] for _ in range(self.nv)]
        for s in sorted({g.start for g in gold if g.start == g.end}):
            for u, v in self._insertion_gold(s, [g for g in gold if (g.start, g.end) == (s, s)], hyp):
                out[u].append((v, (s, s)))
        for g in gold:
            if g.start != g.end:
                for u, v in self._edit_gold(g, hyp, max_unchanged):
                    if (v, (g.start, g.end)) not in out[u]:
                        out[u].append((v, (g.start, g.end)))
        return out


def _search(graph: _Graph, gold_out, max_unchanged: int):
    """Forward DP in vertex order. closed[v] = (cost, back) for a path whose last edit ends at v;
    growing[v][state] = (cost, back) for a merged edit still open at v, state = (unchanged words,
    holds an edit, two or more arcs). Costs are integers: -_GOLD per gold arc, _ARC per base arc outside
    gold arcs, 1 per penalised listing."""
    nv = graph.nv
    closed: list[tuple[int, tuple] | None] = [None] * nv
    growing: list[dict] = [{} for _ in range(nv)]
    closed[0] = (0, ("start", 0))

    def close(w: int, cost: int, back: tuple) -> None:
        if closed[w] is None or cost < closed[w][0]:
            closed[w] = (cost, back)

    def grow(w: int, state: tuple, cost: int, back: tuple) -> None:
        if state not in growing[w] or cost < growing[w][state][0]:
            growing[w][state] = (cost, back)

    for v in range(nv):
        for state, (cost, _) in growing[v].items():
            if state[1] and state[2]:
                close(v, cost + 1, ("merged", state))
        if closed[v] is None:
            continue
        here, open_here = closed[v][0], list(growing[v].items())
        for w, kind, listings in graph.succ[v]:
            noop = kind == NOOP
            close(w, here + _ARC + (0 if noop else listings), ("arc", v))
            grow(w, (int(noop), not noop, False), here + _ARC, (v, None))
            for state, (cost, _) in open_here:
                if state[0] + noop <= max_unchanged:
                    grow(w, (state[0] + noop, state[1] or not noop, True), cost + _ARC, (v, state))
        for w, span in gold_out[v]:
            close(w, here - _GOLD, ("gold", (v, span)))
    return closed, growing


def _segments(closed, growing, nv: int) -> list[tuple[str, list[int], tuple[int, int] | None]]:
    """Backtrack: (how, vertices of the segment, gold span), first segment first."""
    out, v = [], nv - 1
    while v != 0:
        how, ref = closed[v][1]
        if how == "merged":
            path, state = [v], ref
            while state is not None:
                prev, state = growing[path[-1]][state][1]
                path.append(prev)
            out.append((how, path[::-1], None))
            v = path[-1]
        elif how == "gold":
            out.append((how, [ref[0], v], ref[1]))
            v = ref[0]
        else:
            out.append((how, [ref, v], None))
            v = ref
    return out[::-1]


def reduced_sequence(base: BaseLattice, gold: tuple[GoldEdit, ...], src: list[str], hyp: list[str],
                     max_unchanged: int) -> list[Edit]:
    """The system's edits in source order, found without building the closure."""
    graph = _Graph(base)
    closed, growing = _search(graph, graph.gold_arcs(gold, hyp, max_unchanged), max_unchanged)
    rows, cols = base.rows, base.cols
    seq = []
    for how, path, span in _segments(closed, growing, base.nv):
        u, v = path[0], path[-1]
        original, correction = " ".join(src[rows[u]:rows[v]]), " ".join(hyp[cols[u]:cols[v]])
        if how == "gold":
            if original != correction:  # a gold edit that keeps the words is a no-op arc
                seq.append((*span, original, correction))
            continue
        if {graph.label[arc][0] for arc in pairwise(path)} == {NOOP}:
            continue
        seq.append((graph.label[(path[0], path[1])][1], graph.label[(path[-2], path[-1])][2],
                    original, correction))
    return seq
