"""Edits of a second pass, made on the text a first pass wrote, as edits of the original text.

`compose_edits(text, first, second)`: `first` are edits of `text`, `second` edits of
`apply_edits(text, first)`. A second edit clear of every first edit is moved back onto `text`; second edits
that overlap a first edit's replacement (or touch a first edit that deleted text) join it in one edit of
`text`, whose replacement is what both passes wrote there, whose kind is classified afresh and whose
confidence is the least of theirs. `apply_edits(text, compose_edits(text, first, second))` is always
`apply_edits(apply_edits(text, first), second)`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from nahawi.contract import Edit, apply_edits
from nahawi.edits.classify import classify_edit


def compose_edits(text: str, first: Sequence[Edit], second: Sequence[Edit]) -> tuple[Edit, ...]:
    first = sorted(first, key=lambda e: (e.start, e.end))
    second = sorted(second, key=lambda e: (e.start, e.end))
    written = apply_edits(text, first)
    regions = []  # each first edit's replacement in the written text
    shift = 0
    for edit in first:
        start = edit.start + shift
        regions.append((start, start + len(edit.replacement)))
        shift += len(edit.replacement) - (edit.end - edit.start)
    # clusters of first edits (by index) and second edits that must become one edit of `text`
    clusters: list[tuple[list[int], list[Edit]]] = [([k], []) for k in range(len(first))]
    owner = list(range(len(first)))  # cluster of each first edit
    loose: list[Edit] = []
    for edit in second:
        touched = sorted({owner[k] for k, region in enumerate(regions) if _joins(edit, region, first[k])})
        if not touched:
            loose.append(edit)
            continue
        into = touched[0]
        for other in touched[1:]:  # an edit across two first edits joins them
            clusters[into][0].extend(clusters[other][0])
            clusters[into][1].extend(clusters[other][1])
            for k in clusters[other][0]:
                owner[k] = into
            clusters[other] = ([], [])
        clusters[into][1].append(edit)
    out = [_moved(edit, first, regions) for edit in loose]
    for members, later in clusters:
        if not members:
            continue
        if not later:
            out.extend(first[k] for k in members)
            continue
        joined = _joined(text, written, first, regions, sorted(members), later)
        if joined.replacement != joined.original:  # the second pass may undo the first
            out.append(joined)
    return tuple(sorted(out, key=lambda e: (e.start, e.end)))


def _joins(edit: Edit, region: tuple[int, int], earlier: Edit) -> bool:
    """Whether a second edit must join the first edit `earlier`, which wrote `region`: they overlap, an
    insertion falls strictly inside it, the first edit deleted text right where the second one is, or both
    only insert at one place (moved back apart, those would land on one offset of `text` in no certain order).
    A word's rewrite and a mark inserted after it stay two edits."""
    start, end = region
    if start == end:
        return edit.start <= start <= edit.end
    if edit.start == edit.end:
        return start < edit.start < end or (earlier.start == earlier.end and start <= edit.start <= end)
    return edit.start < end and start < edit.end


def _position(offset: int, first: Sequence[Edit], regions: Sequence[tuple[int, int]]) -> int:
    """An offset of the written text outside every first edit's replacement (or on its edge), in `text`."""
    shift = 0
    for edit, (start, end) in zip(first, regions):
        if offset < start or (offset == start and start != end):
            break
        if offset <= end:
            return edit.end if offset == end else edit.start
        shift += len(edit.replacement) - (edit.end - edit.start)
    return offset - shift


def _moved(edit: Edit, first: Sequence[Edit], regions: Sequence[tuple[int, int]]) -> Edit:
    return dataclasses.replace(edit, start=_position(edit.start, first, regions),
                               end=_position(edit.end, first, regions))


def _joined(text: str, written: str, first: list[Edit], regions: list[tuple[int, int]], members: list[int],
            later: list[Edit]) -> Edit:
    """One edit of `text` for a cluster (first edits `members`, second edits `later`): what the first pass
    wrote over [low, high) of the written text, with the second pass's edits applied. Where the cluster's
    written span starts or ends with a first edit, so does its span in `text` (a neighbouring first edit may
    share that written offset)."""
    mine = [first[k] for k in members]
    own_low, own_high = min(regions[k][0] for k in members), max(regions[k][1] for k in members)
    low, high = min(own_low, *(e.start for e in later)), max(own_high, *(e.end for e in later))
    start = min(e.start for e in mine) if low == own_low else _position(low, first, regions)
    end = max(e.end for e in mine) if high == own_high else _position(high, first, regions)
    inside = [dataclasses.replace(e, start=e.start - low, end=e.end - low) for e in later]
    replacement, original = apply_edits(written[low:high], inside), text[start:end]
    scores = [e.confidence for e in (*mine, *later) if e.confidence is not None]
    return Edit(start, end, replacement, classify_edit(original, replacement), mine[0].rule_id, original,
                min(scores) if scores else None)
