"""Step 2 of edit extraction: merge aligned token operations into edits (ERRANT-style rules).

Owns which adjacent non-matching operations form one edit, with the Arabic merge rules in one place:
- split / merge: a run of tokens whose letters, joined, equal the other side's joined letters
  (`لوكان` → `لو كان`, `و الله` → `والله`; compared by skeleton, so `انشاء` → `إن شاء` also merges);
- a detached clitic (و ف ب ل ك, ال, لا and their combinations) deleted or inserted next to a changed
  word that now carries it (`و الكتب` → `والكتاب`);
- consecutive deletions, or consecutive insertions, of words (or of punctuation) form one edit.
Everything else stays one edit per token. Knows nothing of character spans or kinds.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nahawi.edits.align import DELETE, INSERT, MATCH, SUB, Op, is_punct_token
from nahawi.text.chars import skeleton

CLITICS = frozenset({"و", "ف", "ب", "ل", "ك", "س", "ال", "لا", "لل", "وال", "فال", "بال", "كال", "ولل", "فلل",
                     "ول", "فل", "وب", "فب", "وس", "فس"})
_MAX_SPACING_OPS = 4  # longest run of operations tried as one split/merge


@dataclass(frozen=True)
class Group:
    i1: int  # source tokens [i1, i2); i1 == i2 for a pure insertion
    i2: int
    j1: int  # corrected tokens [j1, j2); j1 == j2 for a pure deletion
    j2: int


def merge_ops(ops: Sequence[Op], src: Sequence[str], cor: Sequence[str]) -> list[Group]:
    """Group the non-matching operations of an alignment into edits, in order."""
    groups: list[Group] = []
    for run in _runs(ops):
        k = 0
        while k < len(run):
            size = (_spacing_size(run, k, src, cor) or _clitic_size(run, k, src, cor)
                    or _same_gap_size(run, k, src, cor))
            groups.append(_group_of(run[k:k + size]))
            k += size
    return groups


def _runs(ops: Sequence[Op]) -> list[list[Op]]:
    """Maximal runs of consecutive non-matching operations."""
    runs: list[list[Op]] = [[]]
    for op in ops:
        if op.tag == MATCH:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(op)
    return [run for run in runs if run]


def _group_of(run: Sequence[Op]) -> Group:
    i1, j1 = run[0].i, run[0].j
    i2 = max(op.i + (op.tag != INSERT) for op in run)
    j2 = max(op.j + (op.tag != DELETE) for op in run)
    return Group(i1, max(i1, i2), j1, max(j1, j2))


def _sides(run: Sequence[Op], src: Sequence[str], cor: Sequence[str]) -> tuple[list[str], list[str]]:
    group = _group_of(run)
    return list(src[group.i1:group.i2]), list(cor[group.j1:group.j2])


def _spacing_size(run: Sequence[Op], k: int, src: Sequence[str], cor: Sequence[str]) -> int:
    """Smallest number (≥ 2) of operations from k that only re-space the same letters, else 0."""
    for size in range(2, min(_MAX_SPACING_OPS, len(run) - k) + 1):
        left, right = _sides(run[k:k + size], src, cor)
        if not left or not right or any(is_punct_token(t) for t in left + right):
            continue
        if skeleton("".join(left)) == skeleton("".join(right)):
            return size
    return 0


def _clitic_size(run: Sequence[Op], k: int, src: Sequence[str], cor: Sequence[str]) -> int:
    """2 when op k deletes (inserts) a detached clitic that the next substitution attaches (detaches)."""
    if k + 1 >= len(run) or run[k + 1].tag != SUB:
        return 0
    op, nxt = run[k], run[k + 1]
    if op.tag == DELETE:
        clitic, host = skeleton(src[op.i]), skeleton(cor[nxt.j])
    elif op.tag == INSERT:
        clitic, host = skeleton(cor[op.j]), skeleton(src[nxt.i])
    else:
        return 0
    return 2 if clitic in CLITICS and host.startswith(clitic) and len(host) > len(clitic) else 0


def _same_gap_size(run: Sequence[Op], k: int, src: Sequence[str], cor: Sequence[str]) -> int:
    """Length of the run of deletions (or insertions) from k that are all words or all punctuation."""
    op = run[k]
    if op.tag not in (DELETE, INSERT):
        return 1

    def punct(o: Op) -> bool:
        return is_punct_token(src[o.i] if o.tag == DELETE else cor[o.j])

    size = 1
    while k + size < len(run) and run[k + size].tag == op.tag and punct(run[k + size]) == punct(op):
        size += 1
    return size
