"""Where each issue is in the live document: positions kept as plain offsets, not as Qt cursors.

Owns `IssueRows`, the issues of one check in document order: numpy columns of UTF-16 start and end
positions that the layer shifts in place as the text changes (one vectorised step per change, whatever the
number of issues: a QTextCursor per issue made Qt walk 166k cursors on every key of a 5 MB file), a liveness
column, and per row the edit and the UTF-16 code units either side of its span when it was found (numbers in
arrays: a 5 MB document's 300,000 one-character strings cost the GUI thread their making and freeing at every
result). `Issue` is a
handle on one row. A row is intact while its span holds the edit's original text between the same two
characters; `map_change` says where a position goes under one reported change, and `relocate` finds where
an issue touched by a change now is, or that it is gone. Also `Utf16Map`, the app's one code-point →
UTF-16 conversion. Knows nothing of widgets, underlines or checking.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtGui import QTextCursor, QTextDocument

from nahawi.contract import Edit
from nahawi.kinds import KIND_IDS

KIND_CODES = {kind: code for code, kind in enumerate(KIND_IDS)}
RELOCATE_MAX = 2000  # issues inside one reported change looked for one by one; more are simply dropped


NO_UNIT = -1  # in a code-unit column: no unit there (the span is at the start or the end of the text)


class Utf16Map:
    """Code-point offsets of one text → UTF-16 offsets (Qt positions); identity when the text is all BMP."""

    def __init__(self, text: str):
        self.units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)  # (U,) one C copy
        self.identity = len(self.units) == len(text)  # most Arabic text has no emoji
        self._prefix = None
        if not self.identity:
            astral = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) > 0xFFFF
            self._prefix = np.concatenate(([0], np.cumsum(astral)))

    def to_utf16(self, cp_offset: int) -> int:
        return cp_offset if self.identity else cp_offset + int(self._prefix[cp_offset])

    def many_to_utf16(self, cp_offsets: np.ndarray) -> np.ndarray:
        return cp_offsets if self.identity else cp_offsets + self._prefix[cp_offsets]


def columns(mapping: Utf16Map, edits: list[Edit]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """UTF-16 starts and ends of edits of the text mapping was made for, and the code units either side of
    each (`unit_codes`): the one before the span, the one after it."""
    cps = np.fromiter((e.start for e in edits), dtype=np.int64, count=len(edits))
    cpe = np.fromiter((e.end for e in edits), dtype=np.int64, count=len(edits))
    starts, ends = mapping.many_to_utf16(cps), mapping.many_to_utf16(cpe)
    return starts, ends, unit_codes(mapping.units, starts - 1), unit_codes(mapping.units, ends)


def edit_span_utf16(text: str, edit: Edit) -> tuple[int, int]:
    mapping = Utf16Map(text)
    return mapping.to_utf16(edit.start), mapping.to_utf16(edit.end)


def unit_codes(units: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """(N,) int32: the code unit of units (a text in UTF-16) at each position, NO_UNIT outside it. As Qt's
    `characterAt` gives them: an astral character's surrogates one at a time."""
    positions = np.asarray(positions, dtype=np.int64)
    inside = (positions >= 0) & (positions < len(units))
    codes = np.full(len(positions), NO_UNIT, dtype=np.int32)
    codes[inside] = units[positions[inside]]
    return codes


def unit_code(unit: str) -> int:
    """A code unit as `document_unit` reads it ("" for none) → its number in a code-unit column."""
    return ord(unit) if unit else NO_UNIT


def unit_text(code: int) -> str:
    return chr(code) if code != NO_UNIT else ""


def document_unit(document: QTextDocument, position: int) -> str:
    """The code unit at position of document, line breaks as "\\n", "" outside the text."""
    if position < 0 or position >= document.characterCount() - 1:
        return ""
    unit = document.characterAt(position)
    return "\n" if unit == "\u2029" else unit


def document_text(document: QTextDocument, start: int, end: int) -> str:
    if start == end:
        return ""
    cursor = QTextCursor(document)
    cursor.setPosition(max(0, start))
    cursor.setPosition(min(end, document.characterCount() - 1), QTextCursor.MoveMode.KeepAnchor)
    return cursor.selectedText().replace("\u2029", "\n")


def map_change(positions: np.ndarray | int, position: int, removed: int, added: int):
    """Where positions go when removed units at position are replaced by added ones, as Qt moves a cursor:
    before the change they stay, inside the removed text they go to the end of the added text, after it they
    shift. Monotonic, so positions in order stay in order."""
    shifted = np.maximum(np.asarray(positions) - removed, position) + added
    return np.where(np.asarray(positions) < position, positions, shifted)


class IssueRows:
    """The issues of one result, in document order (spans never overlap, so starts and ends are both sorted)."""

    def __init__(self, document: QTextDocument, edits: Sequence[Edit], starts: Sequence[int], ends: Sequence[int],
                 before: Sequence[int], after: Sequence[int], kinds: np.ndarray | None = None):
        self.document = document
        self.edits = list(edits)
        # (N,) index into KIND_IDS, for counting (given by callers that have it: a long result's chunks)
        self.kinds = kind_codes(self.edits) if kinds is None else np.asarray(kinds, dtype=np.int16).reshape(-1)
        self.starts = np.asarray(starts, dtype=np.int64).reshape(-1)  # (N,) UTF-16 positions, live
        self.ends = np.asarray(ends, dtype=np.int64).reshape(-1)
        # (N,) int32 code units either side of each span when found (`unit_codes`)
        self.before = np.asarray(before, dtype=np.int32).reshape(-1)
        self.after = np.asarray(after, dtype=np.int32).reshape(-1)
        self.alive = np.ones(len(self.edits), dtype=bool)
        self.handles: dict[int, Issue] = {}  # row -> its handle, made when first asked for (see `release`)
        self.count = len(self.edits)

    @classmethod
    def empty(cls, document: QTextDocument) -> IssueRows:
        return cls(document, [], [], [], [], [])

    @classmethod
    def from_checked(cls, document: QTextDocument, text: str, mapping: Utf16Map, edits: list[Edit]) -> IssueRows:
        """Rows for edits (in order) of a check of text, which is the document's text now."""
        return cls(document, edits, *columns(mapping, edits))

    @classmethod
    def joined(cls, document: QTextDocument, pieces: Sequence[tuple[IssueRows, int, int]]) -> IssueRows:
        """Rows made of the row ranges (rows, first, end) of other rows, one after another (the caller keeps
        them in document order); a dead row stays dead. Slices and array joins only: a partial result in a
        long document's hundred thousand issues costs no Python loop over them."""
        edits = []
        for rows, first, end in pieces:
            edits += rows.edits[first:end]

        def join(name: str) -> np.ndarray:
            return np.concatenate([getattr(rows, name)[first:end] for rows, first, end in pieces])

        joined = cls(document, edits, join("starts"), join("ends"), join("before"), join("after"), kinds=join("kinds"))
        joined.alive = join("alive").astype(bool)
        joined.count = int(joined.alive.sum())
        return joined

    def kind_counts(self) -> dict[str, int]:
        counts = np.bincount(self.kinds[self.alive], minlength=len(KIND_IDS) + 1)
        names = (*KIND_IDS, "other")
        return {names[k]: int(c) for k, c in enumerate(counts) if c}

    def handle(self, row: int) -> Issue:
        issue = self.handles.get(row)
        if issue is None:
            issue = self.handles[row] = Issue(self, row)
        return issue

    def release(self) -> None:
        """Forget the handles made so far, once these rows are replaced: each points back here, and such a
        cycle outlives the rows until a full collection finds it, or for good once frozen
        (`nahawi_app.collection`); a long document's rows hold a hundred thousand edits. The handles still
        read their spans; `handle` makes new ones."""
        self.handles = {}

    def live_rows(self) -> np.ndarray:
        return np.flatnonzero(self.alive)

    def kill(self, rows) -> None:
        rows = [r for r in rows if self.alive[r]]
        self.alive[rows] = False
        self.count -= len(rows)

    def touching(self, low: int, high: int) -> list[int]:
        """Live rows whose span touches low..high (both ends included)."""
        first = int(np.searchsorted(self.ends, low, side="left"))
        last = int(np.searchsorted(self.starts, high, side="right"))
        return [r for r in range(first, last) if self.alive[r]]

    def is_intact(self, row: int, start: int | None = None, end: int | None = None, original: str | None = None) -> bool:
        """The span (by default the row's own) holds the edit's original (by default the row's) between the
        characters it had."""
        start = int(self.starts[row]) if start is None else start
        end = int(self.ends[row]) if end is None else end
        original = self.edits[row].original if original is None else original
        document = self.document
        return (end - start == _utf16_len(original)
                and unit_code(document_unit(document, start - 1)) == self.before[row]
                and unit_code(document_unit(document, end)) == self.after[row]
                and document_text(document, start, end) == original)

    def apply_change(self, position: int, removed: int, added: int) -> list[int]:
        """Follow one reported change of the text; returns the rows it removed (their text changed).

        Qt reports an edit block (an undo, a paragraph's direction set with the typing that caused it) as
        one range covering all of it, so a row inside the range may lie before the real change (it stays),
        after it (it shifts) or in it (it is gone): the first place where the row is intact wins."""
        first = int(np.searchsorted(self.ends, position, side="left"))
        last = int(np.searchsorted(self.starts, position + removed, side="right"))
        touched = [(r, int(self.starts[r]), int(self.ends[r])) for r in range(first, last) if self.alive[r]]
        self.starts[first:] = map_change(self.starts[first:], position, removed, added)
        self.ends[first:] = map_change(self.ends[first:], position, removed, added)
        delta, gone = added - removed, []
        if len(touched) > RELOCATE_MAX:  # the whole text replaced, or replace-all: the next check finds them
            gone, touched = [row for row, _, _ in touched], []
        for row, start, end in touched:
            for new_start, new_end in ((int(self.starts[row]), int(self.ends[row])), (start + delta, end + delta),
                                       (start, end)):
                if self.is_intact(row, new_start, new_end):
                    self.starts[row], self.ends[row] = new_start, new_end
                    break
            else:
                gone.append(row)
        self.kill(gone)
        self._keep_order(first, last)
        return gone

    def _keep_order(self, first: int, last: int) -> None:
        """Rows that are gone sit where the rows either side leave room, so the columns stay sorted."""
        floor = int(self.ends[first - 1]) if first > 0 else 0
        for row in range(first, min(last, len(self.edits))):
            if self.alive[row]:
                floor = int(self.ends[row])
            else:
                self.starts[row] = self.ends[row] = floor

    def accept(self, rows: list[int]) -> None:
        """Follow the layer's own edits of rows, applied together (each replacement now stands in its span):
        every other row moves by the length change of the accepted edits before it, and the rows next to an
        accepted one take their new neighbouring characters."""
        rows = sorted(rows)
        old_starts, old_ends = self.starts[rows], self.ends[rows]
        lengths = np.array([_utf16_len(self.edits[r].replacement) for r in rows], dtype=np.int64)
        deltas = np.cumsum(lengths - (old_ends - old_starts))  # (K,) length change up to each accepted edit
        before = np.searchsorted(old_ends, self.starts, side="right")  # accepted edits ending at or before a row
        shift = np.where(before > 0, deltas[np.maximum(before - 1, 0)], 0)
        self.starts += shift
        self.ends += shift
        self.starts[rows] = old_starts + np.concatenate(([0], deltas[:-1]))
        self.ends[rows] = self.starts[rows] + lengths
        self.kill(rows)
        neighbours = {n for r in rows for n in (r - 1, r + 1) if 0 <= n < len(self.edits) and self.alive[n]}
        for row in neighbours:
            self.before[row] = unit_code(document_unit(self.document, int(self.starts[row]) - 1))
            self.after[row] = unit_code(document_unit(self.document, int(self.ends[row])))


def kind_codes(edits: Sequence[Edit]) -> np.ndarray:
    """(N,) int16: each edit's index into KIND_IDS (len(KIND_IDS) for a kind the app does not know)."""
    return np.fromiter((KIND_CODES.get(e.kind, len(KIND_IDS)) for e in edits), dtype=np.int16, count=len(edits))


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class Issue:
    """One issue: its edit and, while it is shown, its span in the live document (UTF-16 positions)."""

    __slots__ = ("_row", "_rows", "edit")

    def __init__(self, rows: IssueRows, row: int):
        self._rows, self._row, self.edit = rows, row, rows.edits[row]

    @property
    def start(self) -> int:
        return int(self._rows.starts[self._row])

    @property
    def end(self) -> int:
        return int(self._rows.ends[self._row])

    @property
    def kind(self) -> str:
        return self.edit.kind

    @property
    def context(self) -> tuple[str, str]:
        """The code units either side of the span when it was found."""
        return unit_text(int(self._rows.before[self._row])), unit_text(int(self._rows.after[self._row]))

    def is_intact(self) -> bool:
        return self._rows.is_intact(self._row, original=self.edit.original)

    def belongs_to(self, rows: IssueRows) -> bool:
        """Whether this issue is one of rows and still shown."""
        return self._rows is rows and bool(rows.alive[self._row])

    def __repr__(self) -> str:
        return f"Issue({self.start}, {self.end}, {self.edit.original!r} -> {self.edit.replacement!r})"
