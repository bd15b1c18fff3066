"""Step 1 of edit extraction: align source and corrected tokens (ERRANT-style Levenshtein alignment).

Owns the token alignment: match, substitute, delete, insert, with a character-aware substitution cost
(spellings that differ only in hamza / ta marbuta / alif maqsura are nearly free, similar words are cheap,
a word never substitutes for punctuation). Knows nothing of character spans, merging or kinds.
See Bryant et al. 2017, https://aclanthology.org/P17-1074/ for the approach.
"""
from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from nahawi.text.chars import skeleton
from nahawi.text.punct import is_punct_char

MATCH, SUB, DELETE, INSERT = "M", "S", "D", "I"
GAP_COST = 1.0  # deleting or inserting one token
MIN_SUBSTITUTION = 0.25  # the least cost of two different tokens (`substitution_cost`)
_MAX_DP_CELLS = 40_000  # above this, anchor on identical token runs first (keeps long documents fast)


@dataclass(frozen=True)
class Op:
    tag: str  # MATCH, SUB, DELETE or INSERT
    i: int  # source token index; for INSERT, the source index the insertion comes before
    j: int  # corrected token index; for DELETE, the corrected index the deletion comes before


def is_punct_token(token: str) -> bool:
    return all(is_punct_char(ch) for ch in token)


@lru_cache(maxsize=1 << 16)
def substitution_cost(a: str, b: str) -> float:
    """Cost of aligning token a with token b: 0 if equal, 0.25 if only orthography differs, 1 for two
    punctuation marks, 0.5..2.0 by character similarity for two words, and more than a deletion plus an
    insertion for a word and a punctuation mark."""
    if a == b:
        return 0.0
    punct_a, punct_b = is_punct_token(a), is_punct_token(b)
    if punct_a != punct_b:
        return 2 * GAP_COST + 0.5
    if punct_a:
        return GAP_COST  # one mark replacing another (، → .) is a substitution, not a deletion + insertion
    sa, sb = skeleton(a), skeleton(b)
    if sa == sb:
        return 0.25
    ratio = difflib.SequenceMatcher(None, sa, sb, autojunk=False).ratio()
    return 0.5 + 1.5 * (1.0 - ratio)


def common_ends(a: Sequence, b: Sequence) -> tuple[int, int]:
    """Lengths of the longest common prefix and of the longest common suffix after it (they never overlap)."""
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return head, tail


def align_tokens(src: Sequence[str], cor: Sequence[str]) -> list[Op]:
    """Minimum-cost alignment of two token sequences, as one Op per aligned token or gap, in order."""
    head, tail = common_ends(src, cor)
    ops = [Op(MATCH, k, k) for k in range(head)]
    ops += _align_middle(src, cor, head, len(src) - tail, head, len(cor) - tail)
    ops += [Op(MATCH, len(src) - tail + k, len(cor) - tail + k) for k in range(tail)]
    return ops


def _align_middle(src: Sequence[str], cor: Sequence[str], i1: int, i2: int, j1: int, j2: int) -> list[Op]:
    """Align src[i1:i2] with cor[j1:j2]: exactly when small, else between identical-token anchors."""
    if (i2 - i1) * (j2 - j1) <= _MAX_DP_CELLS:
        return _align_dp(src, cor, i1, i2, j1, j2)
    blocks = difflib.SequenceMatcher(None, src[i1:i2], cor[j1:j2], autojunk=False).get_matching_blocks()
    if len(blocks) == 1:  # only the (len, len, 0) sentinel: nothing in common, pair tokens by position
        return _align_positional(src, cor, i1, i2, j1, j2)
    ops: list[Op] = []
    i, j = i1, j1
    for block in blocks:
        bi, bj = i1 + block.a, j1 + block.b
        ops += _align_middle(src, cor, i, bi, j, bj)
        ops += [Op(MATCH, bi + k, bj + k) for k in range(block.size)]
        i, j = bi + block.size, bj + block.size
    return ops


def _align_positional(src: Sequence[str], cor: Sequence[str], i1: int, i2: int, j1: int, j2: int) -> list[Op]:
    """Cheap alignment of two long unrelated stretches: k-th with k-th, then the rest deleted/inserted."""
    n = min(i2 - i1, j2 - j1)
    ops = [Op(MATCH if src[i1 + k] == cor[j1 + k] else SUB, i1 + k, j1 + k) for k in range(n)]
    ops += [Op(DELETE, i, j1 + n) for i in range(i1 + n, i2)]
    ops += [Op(INSERT, i1 + n, j) for j in range(j1 + n, j2)]
    return ops


def _align_dp(src: Sequence[str], cor: Sequence[str], i1: int, i2: int, j1: int, j2: int) -> list[Op]:
    """Levenshtein DP over src[i1:i2] × cor[j1:j2]. On ties the backtrace prefers substitution, and puts an
    insertion before an adjacent deletion (so in `و يمدوون` → `، ويمدون` the deleted clitic meets its
    host)."""
    n, m = i2 - i1, j2 - j1
    cost = [[0.0] * (m + 1) for _ in range(n + 1)]  # (n + 1, m + 1)
    for i in range(1, n + 1):
        cost[i][0] = i * GAP_COST
    for j in range(1, m + 1):
        cost[0][j] = j * GAP_COST
    for i in range(1, n + 1):
        row, prev, a = cost[i], cost[i - 1], src[i1 + i - 1]
        for j in range(1, m + 1):
            gap, diagonal, b = min(prev[j], row[j - 1]) + GAP_COST, prev[j - 1], cor[j1 + j - 1]
            if a != b and diagonal + MIN_SUBSTITUTION >= gap:  # no substitution can beat the gap: skip its cost
                row[j] = gap
            else:
                row[j] = min(diagonal + substitution_cost(a, b), gap)
    return _backtrace(cost, src, cor, i1, j1)


def _backtrace(cost: list[list[float]], src: Sequence[str], cor: Sequence[str], i1: int, j1: int) -> list[Op]:
    ops: list[Op] = []
    i, j = len(cost) - 1, len(cost[0]) - 1
    while i > 0 or j > 0:
        a, b = (src[i1 + i - 1] if i else None), (cor[j1 + j - 1] if j else None)
        if i and j and _close(cost[i][j], cost[i - 1][j - 1] + substitution_cost(a, b)):
            i, j = i - 1, j - 1
            ops.append(Op(MATCH if a == b else SUB, i1 + i, j1 + j))
        elif i and _close(cost[i][j], cost[i - 1][j] + GAP_COST):
            i -= 1
            ops.append(Op(DELETE, i1 + i, j1 + j))
        else:
            j -= 1
            ops.append(Op(INSERT, i1 + i, j1 + j))
    return ops[::-1]


def _close(x: float, y: float) -> bool:
    return abs(x - y) < 1e-9
