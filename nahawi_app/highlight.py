"""Issue underlines in the editor: the engine's edits shown as wavy extra selections.

Owns the link between the engine's edits (code-point offsets into the checked text) and the QTextDocument
(UTF-16 positions). Positions are plain offsets in `issues.IssueRows`, shifted as the user types; only the
issues on screen (and a margin) become QTextCursors, in the extra selections redrawn on scrolling, so a
5 MB document's hundred thousand issues cost a keystroke a vector shift, not a cursor each. An issue whose
text (or the characters either side) is edited disappears until the next check. Accepting applies edits
through QTextCursor inside one edit block (one undo step), from the end of the document backwards. A long
result is taken in a chunk per turn of the event loop, the screen's first. Ignored occurrences are
remembered by their words and surroundings (`IgnoreRules`), so they stay ignored across checks, edits
elsewhere and sessions. Also owns the kind → colour legend. Knows nothing of the engine, the worker or files.
"""
from __future__ import annotations

import bisect
import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, QPoint, QTimer, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextEdit

from nahawi.contract import Edit
from nahawi.kinds import KIND_IDS
from nahawi_app.issues import (  # noqa: F401  (Issue, Utf16Map and edit_span_utf16 re-exported)
    Issue,
    IssueRows,
    Utf16Map,
    columns,
    edit_span_utf16,
    kind_codes,
)

CHUNK = 4000  # edits of a long result taken per turn of the event loop (filtering costs a few µs each)
RETIRE = 10_000  # edits of replaced rows let go per turn of the event loop (freeing each costs a few µs)
MARGIN = 1500  # positions either side of the screen whose underlines are drawn
CONTEXT = 24  # characters either side that identify an ignored occurrence (identical passages are one)

# Underline groups: the spelling kinds each get a colour, the grammar-like kinds share one.
GROUPS: dict[str, tuple[str, ...]] = {
    "hamza": ("hamza",),
    "ta_marbuta": ("ta_marbuta",),
    "alif_maqsura": ("alif_maqsura",),
    "letter_confusion": ("letter_confusion",),
    "spacing": ("spacing",),
    "punctuation": ("punctuation",),
    "grammar": ("morphology", "word_choice", "other"),
}
GROUP_COLORS: dict[str, str] = {
    "hamza": "#d32f2f",
    "ta_marbuta": "#ef6c00",
    "alif_maqsura": "#c2185b",
    "letter_confusion": "#7b1fa2",
    "spacing": "#1565c0",
    "punctuation": "#00897b",
    "grammar": "#2e7d32",
}
KIND_GROUP: dict[str, str] = {kind: group for group, kinds in GROUPS.items() for kind in kinds}


def kind_color(kind: str) -> QColor:
    return QColor(GROUP_COLORS[KIND_GROUP.get(kind, "grammar")])


def occurrence_key(text: str, edit: Edit) -> tuple[str, str, str, str]:
    """What identifies one occurrence of an edit across checks: its words, its fix and the text either side."""
    return (edit.original, edit.replacement, text[max(0, edit.start - CONTEXT):edit.start],
            text[edit.end:edit.end + CONTEXT])


@dataclass
class IgnoreRules:
    """What the writer chose not to see in this document: single occurrences and every occurrence of a word."""

    occurrences: set[tuple[str, str, str, str]] = field(default_factory=set)
    words: set[str] = field(default_factory=set)

    def hides(self, text: str, edit: Edit) -> bool:
        return edit.original.strip() in self.words or (
            bool(self.occurrences) and occurrence_key(text, edit) in self.occurrences)

    def __bool__(self) -> bool:
        return bool(self.occurrences or self.words)


class IssueLayer(QObject):
    """The issues shown in one QTextEdit; `changed` fires whenever the list or the current issue changes."""

    changed = Signal()

    def __init__(self, editor: QTextEdit):
        super().__init__(editor)
        self.editor, self.document = editor, editor.document()
        self.rows = IssueRows.empty(self.document)
        self.current: Issue | None = None
        self.ignore_rules = IgnoreRules()
        self._text = ""  # the text the rows were found in (for an occurrence's surroundings)
        self._pending: _Pending | None = None
        self._listed: list[Issue] | None = None  # handles of the live rows, made when first asked for
        self._applying = False  # the layer's own edits are being applied: it follows them itself
        self._retired: list[list[Edit]] = []  # edits of replaced rows, let go a slice per turn (see `_install`)
        self._drawn: tuple | None = None  # what the underlines on screen show (see `_draw`)
        self.document.contentsChange.connect(self._on_contents_change)
        editor.verticalScrollBar().valueChanged.connect(self._draw)
        editor.horizontalScrollBar().valueChanged.connect(self._draw)

    # --- results ----------------------------------------------------------------------------------------

    def set_result(self, text: str, edits: Iterable[Edit], visible: Callable[[Edit], bool],
                   within: list[tuple[int, int]] | None = None, mapping: Utf16Map | None = None) -> None:
        """Replace the issues by the edits (in document order) of a check of text (which must be the
        document's text now); with within (UTF-16 spans: a partial check), only the issues inside those spans
        are replaced. A long result is taken a chunk per turn of the event loop, the screen's edits first.
        mapping: text's Utf16Map, when the caller has made it."""
        edits = edits if isinstance(edits, list | tuple) else list(edits)
        mapping = mapping or Utf16Map(text)
        self.current, self._pending, self._text = None, None, text
        if within is not None:
            self._merge(text, mapping, [e for e in edits if self._wanted(text, e, visible)], within)
        elif len(edits) <= CHUNK:
            self._install(IssueRows.from_checked(self.document, text, mapping,
                                                 [e for e in edits if self._wanted(text, e, visible)]))
        else:
            low, high = self._screen_range()
            first = bisect.bisect_left(edits, low, key=lambda e: mapping.to_utf16(e.end))
            last = bisect.bisect_right(edits, high, key=lambda e: mapping.to_utf16(e.start))
            screen = [e for e in edits[first:last] if self._wanted(text, e, visible)]
            self._pending = _Pending(text, mapping, edits, visible)
            self._install(IssueRows.from_checked(self.document, text, mapping, screen))
            QTimer.singleShot(0, self._continue)

    def _wanted(self, text: str, edit: Edit, visible: Callable[[Edit], bool]) -> bool:
        return visible(edit) and not (self.ignore_rules and self.ignore_rules.hides(text, edit))

    @property
    def complete(self) -> bool:
        """Every issue of the last result is in (a long one takes several turns of the event loop)."""
        return self._pending is None

    def _continue(self) -> None:
        pending = self._pending
        if pending is None:
            return
        chunk = pending.edits[pending.next:pending.next + CHUNK]
        wanted = [e for e in chunk if self._wanted(pending.text, e, pending.visible)]
        pending.wanted.extend(wanted)
        parts = (*columns(pending.mapping, wanted), kind_codes(wanted))
        for column, part in zip(pending.columns, parts, strict=True):
            column.append(part)
        pending.next += CHUNK
        if pending.next < len(pending.edits):
            QTimer.singleShot(0, self._continue)
            return
        self._pending = None
        starts, ends, before, after, kinds = pending.columns
        self._install(IssueRows(self.document, pending.wanted, np.concatenate(starts), np.concatenate(ends),
                                np.concatenate(before), np.concatenate(after), kinds=np.concatenate(kinds)))

    def _merge(self, text: str, mapping: Utf16Map, edits: list[Edit], within: list[tuple[int, int]]) -> None:
        """The rows outside the spans, kept, and the edits inside them, in document order: both are sorted
        and the spans do not overlap, so the result is slices of the two taken in turn."""
        old, fresh = self.rows, IssueRows.from_checked(self.document, text, mapping, edits)
        pieces, done = [], 0  # (rows, first, end) in document order; done: old rows placed so far
        for low, high in sorted(within):
            first = max(done, int(np.searchsorted(old.starts, low, side="left")))
            pieces.append((old, done, first))
            inside = np.searchsorted(fresh.starts, [low, high], side="left")
            pieces.append((fresh, int(inside[0]), int(inside[1])))
            done = max(first, int(np.searchsorted(old.starts, high, side="left")))
        pieces.append((old, done, len(old.edits)))
        self._install(IssueRows.joined(self.document, pieces))

    def _install(self, rows: IssueRows) -> None:
        old, self.rows = self.rows, rows
        if old is not rows:
            old.release()
            if len(old.edits) > RETIRE:  # freeing a long document's 150,000 edits at once took the GUI 10 ms
                if not self._retired:
                    QTimer.singleShot(0, self._let_go)
                self._retired.append(old.edits)
                old.edits = []  # its handles keep their own edit
        self._refresh()

    def _let_go(self) -> None:
        """Drop a slice of the edits of replaced rows (those no newer rows share are freed)."""
        if self._retired:
            del self._retired[-1][-RETIRE:]
            if not self._retired[-1]:
                self._retired.pop()
        if self._retired:
            QTimer.singleShot(0, self._let_go)

    # --- reading ----------------------------------------------------------------------------------------

    @property
    def issues(self) -> list[Issue]:
        """The issues shown, in document order."""
        if self._listed is None:
            rows = self.rows
            self._listed = [rows.handle(r) for r in rows.live_rows().tolist()]
        return self._listed

    @property
    def count(self) -> int:
        return self.rows.count

    def first_issues(self, limit: int) -> list[Issue]:
        """The first limit issues in document order (a panel lists no more)."""
        rows = self.rows
        return [rows.handle(r) for r in rows.live_rows()[:limit].tolist()]

    def kind_counts(self) -> Counter:
        return Counter(self.rows.kind_counts())

    def contains(self, issue: Issue | None) -> bool:
        return issue is not None and issue.belongs_to(self.rows)

    def issue_at(self, position: int) -> Issue | None:
        for row in self.rows.touching(position - 1, position + 1):  # an insertion shows on its neighbour
            start, end = self._display_span(row)
            if start <= position <= end:
                return self.rows.handle(row)
        return None

    def neighbour(self, position: int, backwards: bool = False) -> Issue | None:
        """The next issue starting after position (or the previous one starting before it), wrapping round."""
        rows = self.rows
        live = rows.live_rows()
        if not len(live):
            return None
        starts = rows.starts[live]
        if backwards:
            index = int(np.searchsorted(starts, position, side="left")) - 1
        else:
            index = int(np.searchsorted(starts, position, side="right"))
        return rows.handle(int(live[index % len(live)]))

    def set_current(self, issue: Issue | None) -> None:
        self.current = issue
        self._refresh()

    # --- actions ----------------------------------------------------------------------------------------

    def accept(self, issue: Issue, spelling: str | None = None) -> bool:
        """Apply issue's edit, or with spelling (another the writer chose) in place of its replacement."""
        if spelling is not None and self.contains(issue) and issue.is_intact():
            self.rows.edits[issue._row] = dataclasses.replace(issue.edit, replacement=spelling)
        return self.accept_many([issue]) == 1

    def accept_many(self, issues: Iterable[Issue]) -> int:
        """Apply the issues' edits as one undo step, from the end backwards; returns how many applied."""
        rows = self.rows
        chosen = sorted({i._row for i in issues if i.belongs_to(rows) and i.is_intact()}, reverse=True)
        if not chosen:
            return 0
        cursor = QTextCursor(self.document)
        self._applying = True
        try:
            cursor.beginEditBlock()
            for row in chosen:
                cursor.setPosition(int(rows.starts[row]))
                cursor.setPosition(int(rows.ends[row]), QTextCursor.MoveMode.KeepAnchor)
                cursor.insertText(rows.edits[row].replacement)
            cursor.endEditBlock()
        finally:
            self._applying = False
        rows.accept(chosen)
        if not self.contains(self.current):
            self.current = None
        self._refresh()
        return len(chosen)

    def accept_all(self, kinds: Iterable[str] | None = None) -> int:
        wanted, rows = set(KIND_IDS if kinds is None else kinds), self.rows
        return self.accept_many([rows.handle(r) for r in rows.live_rows().tolist() if rows.edits[r].kind in wanted])

    def ignore(self, issue: Issue) -> None:
        """Hide this occurrence, now and in later checks."""
        if self.contains(issue):
            edit = issue.edit
            self.ignore_rules.occurrences.add(occurrence_key(self._text, edit))
            self.remove_where(lambda i: i is issue)

    def ignore_word(self, word: str) -> None:
        """Hide every issue on word, now and in later checks."""
        self.ignore_rules.words.add(word)
        self.remove_where(lambda i: i.edit.original.strip() == word)

    def refilter(self, visible: Callable[[Edit], bool]) -> None:
        self.remove_where(lambda i: not visible(i.edit))

    def remove_where(self, predicate: Callable[[Issue], bool]) -> None:
        rows = self.rows
        rows.kill([r for r in rows.live_rows().tolist() if predicate(rows.handle(r))])
        if not self.contains(self.current):
            self.current = None
        self._refresh()

    def clear(self) -> None:
        self._pending, self.current = None, None
        self.ignore_rules = IgnoreRules()
        self._install(IssueRows.empty(self.document))

    # --- drawing ----------------------------------------------------------------------------------------

    def selections(self, rows: list[int] | None = None) -> list[QTextEdit.ExtraSelection]:
        """Underlines of the issues on screen and a margin around it (redrawn on scrolling): the only
        issues that get a QTextCursor. rows: those rows (default: the live rows there)."""
        out, formats = [], {}
        for row in self.rows.touching(*self._screen_range()) if rows is None else rows:
            selection = QTextEdit.ExtraSelection()
            selection.cursor = self._cursor(*self._display_span(row))
            issue_kind, is_current = self.rows.edits[row].kind, self._is_current(row)
            if (issue_kind, is_current) not in formats:
                formats[issue_kind, is_current] = _underline(issue_kind, is_current)
            selection.format = formats[issue_kind, is_current]
            out.append(selection)
        return out

    def _is_current(self, row: int) -> bool:
        current = self.current
        return current is not None and current.belongs_to(self.rows) and current._row == row

    def _display_span(self, row: int) -> tuple[int, int]:
        """An insertion has no characters to underline: show it on its neighbour in the same paragraph."""
        start, end = int(self.rows.starts[row]), int(self.rows.ends[row])
        if start != end:
            return start, end
        block = self.document.findBlock(start)
        if start > block.position():
            return start - 1, start
        return start, min(start + 1, block.position() + max(0, block.length() - 1))

    def _cursor(self, start: int, end: int) -> QTextCursor:
        cursor = QTextCursor(self.document)
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        return cursor

    def _screen_range(self) -> tuple[int, int]:
        """Positions from the screen's first character to its last, widened by MARGIN either side."""
        viewport = self.editor.viewport()
        first = self.editor.cursorForPosition(QPoint(0, 0)).position()
        last = self.editor.cursorForPosition(QPoint(viewport.width() - 1, viewport.height() - 1)).position()
        return min(first, last) - MARGIN, max(first, last) + MARGIN

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        """Follow the change (see `IssueRows.apply_change`); the rest of a long result still being taken is
        dropped: its offsets are for the text before the edit."""
        if self._applying:
            return
        self._pending = None
        gone = self.rows.apply_change(position, removed, added)
        if gone:
            if not self.contains(self.current):
                self.current = None
            self._refresh()

    def _draw(self) -> None:
        """Redraw the underlines, unless those on screen would be the ones drawn last, at the same places (a
        long document's next result with the same issues there, a partial result elsewhere, a short scroll):
        making them cost the GUI thread 8 ms a time. A change of the text that moves them moves the rows."""
        rows = self.rows.touching(*self._screen_range())
        current = self.current._row if self.current is not None and self.current.belongs_to(self.rows) else -1
        drawn = (self.rows.starts[rows].tobytes(), self.rows.ends[rows].tobytes(),
                 tuple(self.rows.edits[row].kind for row in rows), current)
        if drawn != self._drawn:
            self._drawn = drawn
            self.editor.setExtraSelections(self.selections(rows))

    def _refresh(self) -> None:
        self._listed = None
        self._draw()
        self.changed.emit()


def _underline(kind: str, current: bool) -> QTextCharFormat:
    fmt, color = QTextCharFormat(), kind_color(kind)
    fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SpellCheckUnderline)
    fmt.setUnderlineColor(color)
    if current:
        fmt.setBackground(QColor(color.red(), color.green(), color.blue(), 50))
    return fmt


@dataclass
class _Pending:
    """The rest of a long result being taken (see `IssueLayer.set_result`)."""

    text: str
    mapping: Utf16Map
    edits: list
    visible: Callable[[Edit], bool]
    next: int = 0  # index of the first edit not yet looked at
    wanted: list = field(default_factory=list)  # the edits to show, in order
    columns: tuple = field(default_factory=lambda: ([], [], [], [], []))  # starts, ends, units either side, kinds
