"""The MaxMatch edit lattice of one sentence, built exactly as the QALB shared-task m2scorer builds it.

Owns: the optimal Levenshtein alignments between source and hypothesis tokens for substitution costs 1
and 2 (merged, as the official scorer does), the transitive arcs joining edits across at most
`max_unchanged_words` unchanged tokens, and the removal of transitive no-op arcs. It knows nothing about
gold edits, weights or scores (see `nahawi.m2.search`).

Quirks of the official code that change what the lattice holds are kept on purpose and named here:
- insertions before the first source word are labelled with offsets j-1 (the shared-task copy; later
  NUS releases label them 0), so two or more such tokens never form one insertion at offset 0;
- an arc that both alignments contain is listed twice (it is penalised twice later);
- transitive arcs are appended in the order of the official k-i-j triple loop, and an improved arc is
  appended again;
- the clean-up of transitive no-op arcs removes items from the list it is iterating over, so the item
  after each removed one is skipped and stays.
The official scorer scans all V^3 vertex triples; here the closure walks adjacency lists, which gives
the same arcs in the same order. Lattices whose closure would exceed `ARC_BUDGET` arcs (hypotheses that
share almost nothing with a long source) raise `LatticeTooLarge`; the official scorer needs hours or
days for those.
"""
from __future__ import annotations

import numpy as np

from nahawi.errors import NahawiError

INS, DEL, SUB, NOOP = 0, 1, 2, 3
ARC_BUDGET = 1_000_000  # ~300 MB; the largest lattice met on the shared data has 0.8 M arcs


class LatticeTooLarge(NahawiError):
    """The exact closure would hold more than ARC_BUDGET arcs."""


def _distances(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edit distances from (0, 0) and to (n, m); cost: (K, n, m) substitution costs of K schemes."""
    k, n, m = cost.shape
    ramp = np.arange(m + 1)
    cost_m1 = cost - 1
    # f = distance - j turns the insertion recurrence into a running minimum along the row
    f = np.empty((k, n + 1, m + 1), dtype=np.int64)
    f[:, 0] = 0
    for i in range(1, n + 1):
        prev = f[:, i - 1]
        row = f[:, i]
        row[:, 0] = i
        np.minimum(prev[:, :-1] + cost_m1[:, i - 1], prev[:, 1:] + 1, out=row[:, 1:])
        np.minimum.accumulate(row, axis=1, out=row)
    # g = distance-to-end - (m - j), filled right to left
    g = np.empty_like(f)
    g[:, n] = 0
    for i in range(n - 1, -1, -1):
        nxt = g[:, i + 1]
        row = g[:, i]
        row[:, m] = nxt[:, m] + 1
        np.minimum(nxt[:, 1:] + cost_m1[:, i], nxt[:, :-1] + 1, out=row[:, :-1])
        np.minimum.accumulate(row[:, ::-1], axis=1, out=row[:, ::-1])
    return f + ramp, g + ramp[::-1]


class BaseLattice:
    """Vertices (alignment cells on an optimal path of either scheme, sorted) and their arcs."""

    def __init__(self, src: list[str], hyp: list[str]):
        n, m = len(src), len(hyp)
        ids: dict[str, int] = {}
        a = np.array([ids.setdefault(t, len(ids)) for t in src], dtype=np.int64)
        b = np.array([ids.setdefault(t, len(ids)) for t in hyp], dtype=np.int64)
        self.same = a[:, None] == b[None, :]  # (n, m)
        cost = np.stack([np.where(self.same, 0, 1), np.where(self.same, 0, 2)])  # (2, n, m)
        fwd, bwd = _distances(cost)
        on = (fwd + bwd) == fwd[:, n, m][:, None, None]  # (2, n+1, m+1)
        heads = (  # (arc kind, head offset, mask over tails) for the backpointers of each scheme
            (SUB, 1, 1, on[:, 1:, 1:] & (fwd[:, :-1, :-1] + cost == fwd[:, 1:, 1:])),
            (DEL, 1, 0, on[:, 1:, :] & (fwd[:, :-1, :] + 1 == fwd[:, 1:, :])),
            (INS, 0, 1, on[:, :, 1:] & (fwd[:, :, :-1] + 1 == fwd[:, :, 1:])),
        )
        vertex = on.any(axis=0)
        index = np.cumsum(vertex.ravel()) - 1
        us, vs, kinds = [], [], []
        for kind, di, dj, mask in heads:
            _, i, j = np.nonzero(mask)  # tails (i, j); both schemes, so shared arcs come twice
            us.append(index[i * (m + 1) + j])
            vs.append(index[(i + di) * (m + 1) + j + dj])
            kinds.append(np.full(len(i), kind))
        u, v, kind = np.concatenate(us), np.concatenate(vs), np.concatenate(kinds)
        order = np.lexsort((v, u))
        rows, cols = np.nonzero(vertex)
        self.rows: list[int] = rows.tolist()
        self.cols: list[int] = cols.tolist()
        self.nv = len(self.rows)
        self.arcs: list[tuple[int, int, int]] = list(zip(u[order].tolist(), v[order].tolist(),
                                                        kind[order].tolist()))

    def label(self, u: int, v: int, kind: int) -> tuple[int, int, int, int, int]:
        """(kind, start, end, unchanged words, dist) of a base arc, as the official lattice labels it."""
        ui, uj, vi = self.rows[u], self.cols[u], self.rows[v]
        if kind == SUB:
            return (NOOP, vi - 1, vi, 1, 1) if self.same[vi - 1, uj] else (SUB, vi - 1, vi, 0, 1)
        if kind == DEL:
            return DEL, vi - 1, vi, 0, 1
        if ui == 0:  # the shared-task quirk: an insertion before the first word is labelled j-1
            return INS, uj, uj, 0, 1
        return INS, vi, vi, 0, 1


class ClosedLattice:
    """The lattice with transitive arcs: `arcs` is the official arc list (int keys u * nv + v, in
    order, duplicates kept) and `info[key]` is (kind, start, end, unchanged words, dist)."""

    def __init__(self, base: BaseLattice, max_unchanged: int, budget: int | None = None):
        budget = ARC_BUDGET if budget is None else budget
        self.rows, self.cols, self.nv = base.rows, base.cols, base.nv
        info: dict[int, tuple[int, int, int, int, int]] = {}
        arcs = []
        for u, v, kind in base.arcs:
            key = u * self.nv + v
            arcs.append(key)
            if key not in info:
                info[key] = base.label(u, v, kind)
        self.info = info
        self.arcs = self._without_noop_arcs(self._close(arcs, max_unchanged, budget))

    def _close(self, arcs: list[int], max_unchanged: int, budget: int) -> list[int]:
        """Append transitive arcs in the order of the official loop over (k, i, j) vertex triples."""
        nv, info = self.nv, self.info
        preds: list[set[int]] = [set() for _ in range(nv)]
        succs: list[set[int]] = [set() for _ in range(nv)]
        for key in info:
            u, v = divmod(key, nv)
            succs[u].add(v)
            preds[v].add(u)
        for k in range(nv):
            if not preds[k] or not succs[k]:
                continue
            after = [(j, info[k * nv + j]) for j in sorted(succs[k])]
            for i in sorted(preds[k]):
                kind1, start, _, unch1, d1 = info[i * nv + k]
                base = i * nv
                for j, (kind2, _, end, unch2, d2) in after:
                    d = d1 + d2
                    old = info.get(base + j)
                    if old is not None and d >= old[4]:
                        continue
                    unchanged = unch1 + unch2
                    if unchanged > max_unchanged:
                        continue
                    info[base + j] = (kind1 if kind1 == kind2 else SUB, start, end, unchanged, d)
                    arcs.append(base + j)
                    if old is None:
                        succs[i].add(j)
                        preds[j].add(i)
            if len(arcs) > budget:
                raise LatticeTooLarge(f"the edit lattice exceeds {budget} arcs")
        return arcs

    def _without_noop_arcs(self, arcs: list[int]) -> list[int]:
        """Remove transitive no-op arcs; the item after each removed one is skipped, as officially."""
        info, kept, removed, skip = self.info, [], set(), False
        for key in arcs:
            if skip:
                skip = False
                kept.append(key)
                continue
            if key in removed:
                continue  # the official scorer stops with a KeyError here; not met on real data
            kind, _, _, _, dist = info[key]
            if kind == NOOP and dist > 1:
                removed.add(key)
                skip = True
                continue
            kept.append(key)
        if removed:
            kept = [key for key in kept if key not in removed]
        return kept

    def strings(self, u: int, v: int, src: list[str], hyp: list[str]) -> tuple[str, str]:
        """(original, correction) of the arc u → v: the source and hypothesis tokens it spans."""
        return (" ".join(src[self.rows[u]:self.rows[v]]), " ".join(hyp[self.cols[u]:self.cols[v]]))
