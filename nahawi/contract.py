"""The one contract shared by the engine, the CLI, the app and the language server.

An edit is a replacement of the code-point span [start, end) of the *original* text. Offsets are
Python string indices (code points); UTF-16 conversion happens only at the edges (LSP, Qt).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Edit:
    start: int  # code-point offset into the source text
    end: int  # exclusive; start == end means an insertion
    replacement: str
    kind: str  # stable kind id, see nahawi.kinds
    rule_id: str = "model"  # what produced it: "model", "lexicon", ...
    original: str = ""  # source[start:end], kept for display
    confidence: float | None = None  # 0..1 from token scores when available


@dataclass(frozen=True)
class Correction:
    source: str
    corrected: str
    edits: tuple[Edit, ...] = field(default_factory=tuple)


def apply_edits(text: str, edits: tuple[Edit, ...] | list[Edit]) -> str:
    """Apply non-overlapping edits to text; text outside the edits is copied byte for byte."""
    out, cursor = [], 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < cursor or edit.end > len(text) or edit.start > edit.end:
            raise ValueError(f"overlapping or out-of-range edit {edit!r}")
        out.append(text[cursor:edit.start])
        out.append(edit.replacement)
        cursor = edit.end
    out.append(text[cursor:])
    return "".join(out)
