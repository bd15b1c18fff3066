"""A join or split written as edits of its spaces and, apart, of any letters it respells.

Owns one rule: an edit of kind `spacing` never changes letters. A model or lexicon that both joins and
respells (`و انا` → `وأنا`) is shown as a spacing edit plus a hamza edit, so a writer can accept the two
separately and per-kind settings stay true. Knows nothing of where the edit came from.
"""
from __future__ import annotations

from nahawi.contract import Edit
from nahawi.edits.classify import classify_edit


def respacing_edits(start: int, original: str, replacement: str, rule_id: str = "spacing") -> list[Edit]:
    """A join or split as one edit of kind `spacing` when its letters stay as written; when its words are
    also respelled (`و انا` → `وأنا`), edits of the spaces alone (kind spacing) and of the respelled
    letters with their own kind (hamza): a spacing edit never changes letters. When the letters do not line
    up one for one, one edit, never of kind spacing."""
    letters, respelled = "".join(original.split()), "".join(replacement.split())
    if letters == respelled:
        return [Edit(start, start + len(original), replacement, "spacing", rule_id=rule_id, original=original)]
    if len(letters) != len(respelled):
        kind = classify_edit(original, replacement)
        return [Edit(start, start + len(original), replacement, "other" if kind == "spacing" else kind,
                     rule_id=rule_id, original=original)]
    edits, i, j = [], 0, 0
    while i < len(original) or j < len(replacement):
        i2, j2 = _run(original, i, str.isspace), _run(replacement, j, str.isspace)
        if original[i:i2] != replacement[j:j2]:
            edits.append(Edit(start + i, start + i2, replacement[j:j2], "spacing", rule_id=rule_id,
                              original=original[i:i2]))
        i, j = i2, j2
        k = 0
        while i + k < len(original) and j + k < len(replacement) and not original[i + k].isspace() \
                and not replacement[j + k].isspace():
            k += 1
        if original[i:i + k] != replacement[j:j + k]:
            edits.append(Edit(start + i, start + i + k, replacement[j:j + k],
                              classify_edit(original[i:i + k], replacement[j:j + k]), rule_id=rule_id,
                              original=original[i:i + k]))
        i, j = i + k, j + k
    return edits


def _run(text: str, position: int, accept) -> int:
    while position < len(text) and accept(text[position]):
        position += 1
    return position
