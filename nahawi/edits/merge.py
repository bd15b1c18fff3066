"""Step 2 of edit extraction: merge aligned token operations into edits (ERRANT-style rules).

Owns which adjacent non-matching operations form one edit, with the Arabic merge rules in one place:
- split / merge: a run of tokens whose letters, joined, equal the other side's joined letters
  (`لوكان` → `لو كان`, `و الله` → `والله`; compared by skeleton, so `انشاء` → `إن شاء` also merges),
  or nearly equal when a word is inserted or deleted next to a substitution (`لبلدالذي` → `البلد الذي`);
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
_MAX_SPACING_OPS = 6  # longest run of operations tried as one split/merge
_MAX_NEAR_DISTANCE = 2  # letters a split/merge may also change and still be merged into one edit


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
                    or _near_spacing_size(run, k, src, cor) or _same_gap_size(run, k, src, cor))
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
    """Word tokens (punctuation left out) of each side of a run of operations."""
    group = _group_of(run)
    return ([t for t in src[group.i1:group.i2] if not is_punct_token(t)],
            [t for t in cor[group.j1:group.j2] if not is_punct_token(t)])


def _respaced(run: Sequence[Op], src: Sequence[str], cor: Sequence[str]) -> bool:
    """True when the run's words on both sides are the same letters spaced differently."""
    left, right = _sides(run, src, cor)
    keys_left, keys_right = [skeleton(t) for t in left], [skeleton(t) for t in right]
    return bool(left and right) and keys_left != keys_right and "".join(keys_left) == "".join(keys_right)


def _spacing_size(run: Sequence[Op], k: int, src: Sequence[str], cor: Sequence[str]) -> int:
    """Smallest number (≥ 2) of operations from k that re-space the same letters (punctuation may be
    inserted or deleted inside, as in `صبراوثبت` → `صبرا ، وثبت`), else 0. A window whose first operation
    already stands alone (`اذا كا ن` → `إذا كان`: `اذا` → `إذا` is its own edit) is not taken."""
    if _is_punct_op(run[k], src, cor) or _respaced_or_same(run[k:k + 1], src, cor):
        return 0
    for size in range(2, min(_MAX_SPACING_OPS, len(run) - k) + 1):
        if not _is_punct_op(run[k + size - 1], src, cor) and _respaced(run[k:k + size], src, cor):
            return size
    return 0


def _respaced_or_same(run: Sequence[Op], src: Sequence[str], cor: Sequence[str]) -> bool:
    left, right = _sides(run, src, cor)
    return bool(left and right) and skeleton("".join(left)) == skeleton("".join(right))


def _is_punct_op(op: Op, src: Sequence[str], cor: Sequence[str]) -> bool:
    tokens = ([src[op.i]] if op.tag != INSERT else []) + ([cor[op.j]] if op.tag != DELETE else [])
    return all(is_punct_token(t) for t in tokens)


def _near_spacing_size(run: Sequence[Op], k: int, src: Sequence[str], cor: Sequence[str]) -> int:
    """2 when a word inserted/deleted next to a substitution is best read as one split or merge with a
    small spelling change (`لبلدالذي` → `البلد الذي`, `فالاعلام` → `في الأعلام`), else 0."""
    if k + 1 >= len(run) or any(_is_punct_op(op, src, cor) for op in run[k:k + 2]):
        return 0
    tags = {run[k].tag, run[k + 1].tag}
    if SUB not in tags or tags == {SUB}:
        return 0
    sub, gap = (run[k], run[k + 1]) if run[k].tag == SUB else (run[k + 1], run[k])
    loose = skeleton(src[gap.i] if gap.tag == DELETE else cor[gap.j])
    left, right = _sides(run[k:k + 2], src, cor)
    joined = _distance(skeleton("".join(left)), skeleton("".join(right)))
    apart = _distance(skeleton(src[sub.i]), skeleton(cor[sub.j])) + len(loose)
    return 2 if joined <= _MAX_NEAR_DISTANCE and joined < apart else 0


def _distance(a: str, b: str) -> int:
    """Levenshtein distance between two short strings."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


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
