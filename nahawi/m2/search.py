"""The system's edit sequence on a closed lattice: gold-aware arc weights and the official shortest path.

Owns the official `set_weights` and `best_edit_seq_bf`: arcs equal to one of the annotator's gold edits
weigh -len(E) (so the path takes as many of them as it can), other edit arcs get EPSILON added once per
listing, and Bellman-Ford walks the arc list in order with strict improvement, which fixes how ties
between equally short paths are broken. Weights are plain Python floats summed in the official order, so
the chosen path is the same bit for bit. It knows nothing about files, scores or annotators.
"""
from __future__ import annotations

from nahawi.m2.lattice import NOOP, ClosedLattice
from nahawi.m2.reader import GoldEdit

EPSILON = 0.001  # penalty of one listing of an edit arc that matches no gold edit
Edit = tuple[int, int, str, str]  # (start, end, original, correction), token offsets of the source


def default_weights(lattice: ClosedLattice) -> dict[int, float]:
    """Weights before any gold edit: dist, plus EPSILON per listing of an edit (non-noop) arc."""
    weights: dict[int, float] = {}
    info = lattice.info
    for key in lattice.arcs:
        w = weights.get(key)
        if w is None:
            w = info[key][4]
        if info[key][0] != NOOP:
            w += EPSILON
        weights[key] = w
    return weights


class _Matcher:
    """Compares arcs with gold edits by (start, end, original, correction in corrections)."""

    def __init__(self, lattice: ClosedLattice, src: list[str], hyp: list[str]):
        self.lattice, self.src, self.hyp = lattice, src, hyp

    def __call__(self, key: int, gold: GoldEdit) -> bool:
        original, correction = self.lattice.strings(*divmod(key, self.lattice.nv), self.src, self.hyp)
        return original == gold.original and correction in gold.corrections


def weigh_insertions(keys: list[int], golds: list[GoldEdit], weights: dict[int, float], nv: int,
                     match, big: int) -> None:
    """Insertion spans (keys sorted, duplicates kept): arcs are taken alternately from the left and the
    right end, gold edits likewise; after a match the arcs that do not start where the matched one ends
    are passed over (and penalised), as in the official code. `match(key, gold)` compares one arc."""
    lptr, rptr, cur = 0, len(keys) - 1, 0
    g_lptr, g_rptr = 0, len(golds) - 1
    while lptr <= rptr:
        key = keys[cur]
        order = range(g_lptr, g_rptr + 1) if cur == lptr else range(g_rptr, g_lptr - 1, -1)
        hit = next((i for i in order if match(key, golds[i])), None)
        if hit is None:
            weights[key] += EPSILON
            if cur == lptr:
                lptr, cur = lptr + 1, rptr
            else:
                rptr, cur = rptr - 1, lptr
            continue
        weights[key] = big
        if cur == lptr:
            g_lptr, lptr = hit + 1, lptr + 1
            while lptr < len(keys) and keys[lptr] // nv != key % nv:
                weights[keys[lptr]] += EPSILON
                lptr += 1
            cur = lptr
        else:
            g_rptr, rptr = hit - 1, rptr - 1
            while rptr >= 0 and keys[rptr] % nv != key // nv:
                weights[keys[rptr]] += EPSILON
                rptr -= 1
            cur = rptr


def gold_weights(lattice: ClosedLattice, default: dict[int, float], gold: tuple[GoldEdit, ...],
                 src: list[str], hyp: list[str]) -> dict[int, float]:
    """The official set_weights for one annotator; only spans that have gold edits differ from default."""
    spans = {(g.start, g.end) for g in gold}
    info = lattice.info
    groups: dict[tuple[int, int], list[int]] = {}
    for key in lattice.arcs:
        span = info[key][1:3]
        if span in spans:
            groups.setdefault(span, []).append(key)
    weights = dict(default)
    big = -len(lattice.arcs)
    match = _Matcher(lattice, src, hyp)
    for span, keys in groups.items():
        keys.sort()
        golds = [g for g in gold if (g.start, g.end) == span]
        for key in keys:
            weights[key] = info[key][4]  # start again from dist
        if span[0] == span[1]:
            weigh_insertions(keys, golds, weights, lattice.nv, match, big)
            continue
        for key in keys:
            if any(match(key, g) for g in golds):
                weights[key] = big
            elif info[key][0] != NOOP:
                weights[key] += EPSILON
    return weights


def shortest_path(lattice: ClosedLattice, weights: dict[int, float]) -> list[int]:
    """Bellman-Ford over the arc list in order with strict improvement, stopped after a pass without
    change (later passes could change nothing); the path's arcs from the last vertex back to (0, 0)."""
    nv = lattice.nv
    dist = [float("inf")] * nv
    dist[0] = 0
    parent = [-1] * nv
    edges = [(*divmod(key, nv), weights[key]) for key in lattice.arcs]
    for _ in range(nv - 1):
        changed = False
        for u, v, w in edges:
            d = dist[u] + w
            if d < dist[v]:
                dist[v] = d
                parent[v] = u
                changed = True
        if not changed:
            break
    path, v = [], nv - 1
    while parent[v] >= 0:
        path.append(parent[v] * nv + v)
        v = parent[v]
    return path


def edit_sequence(lattice: ClosedLattice, weights: dict[int, float], src: list[str],
                  hyp: list[str]) -> list[Edit]:
    """The system's edits in source order (no-op arcs dropped)."""
    seq = []
    for key in reversed(shortest_path(lattice, weights)):
        kind, start, end, _, _ = lattice.info[key]
        if kind != NOOP:
            seq.append((start, end, *lattice.strings(*divmod(key, lattice.nv), src, hyp)))
    return seq
