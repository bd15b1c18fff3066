"""Underlines: the issues of the current check, anchored in the document, drawn as wavy extra selections.

Owns the link between the engine's edits (code-point offsets into the checked text) and the QTextDocument
(UTF-16 positions): `Utf16Map` is the app's one conversion helper. Each `Issue` holds a QTextCursor over its
span, so underlines follow the text while the user keeps typing; an issue whose text is edited disappears
until the next check. Accepting applies edits through QTextCursor inside one edit block (one undo step),
from the end of the document backwards. Also owns the kind → colour legend. Knows nothing of the engine,
the worker or files.
"""
from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import accumulate

from PySide6.QtCore import QObject, QPoint, QTimer, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextEdit

from nahawi.contract import Edit
from nahawi.kinds import KIND_IDS
from nahawi.text.offsets import utf16_length

BATCH = 300  # issues made per turn of the event loop for a long result (each cursor costs a block layout)
MARGIN = 3000  # positions either side of the screen whose underlines are drawn

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


class Utf16Map:
    """Code-point offsets of one text → UTF-16 offsets (Qt positions); identity when the text is all BMP."""

    def __init__(self, text: str):
        self.identity = utf16_length(text) == len(text)
        self._prefix = [] if self.identity else list(accumulate((2 if ord(c) > 0xFFFF else 1 for c in text),
                                                                initial=0))

    def to_utf16(self, cp_offset: int) -> int:
        return cp_offset if self.identity else self._prefix[cp_offset]


def edit_span_utf16(text: str, edit: Edit) -> tuple[int, int]:
    mapping = Utf16Map(text)
    return mapping.to_utf16(edit.start), mapping.to_utf16(edit.end)


@dataclass(eq=False)
class Issue:
    edit: Edit
    cursor: QTextCursor  # selects the edit's span in the live document (empty for an insertion)
    context: str = ""  # for an insertion: the characters either side of it when it was found

    @property
    def start(self) -> int:
        return self.cursor.selectionStart()

    @property
    def end(self) -> int:
        return self.cursor.selectionEnd()

    @property
    def kind(self) -> str:
        return self.edit.kind

    def is_intact(self) -> bool:
        """The span still holds the text the edit was made for (an insertion: between the same characters)."""
        if self.edit.original:
            return _qt_text(self.cursor.selectedText()) == self.edit.original
        return _around(self.cursor) == self.context


def _qt_text(selected: str) -> str:
    return selected.replace("\u2029", "\n")


def _around(cursor: QTextCursor) -> str:
    document, position = cursor.document(), cursor.position()
    return document.characterAt(position - 1) + document.characterAt(position)


class IssueLayer(QObject):
    """The issues shown in one QTextEdit; `changed` fires whenever the list or the current issue changes."""

    changed = Signal()

    def __init__(self, editor: QTextEdit):
        super().__init__(editor)
        self.editor, self.document = editor, editor.document()
        self.issues: list[Issue] = []
        self.current: Issue | None = None
        self.ignored: list[Issue] = []  # occurrences the user ignored, tracked like issues
        self._pending: _Pending | None = None
        self.document.contentsChange.connect(self._on_contents_change)
        editor.verticalScrollBar().valueChanged.connect(self._draw)
        editor.horizontalScrollBar().valueChanged.connect(self._draw)

    def set_result(self, text: str, edits: Iterable[Edit], visible: Callable[[Edit], bool],
                   within: list[tuple[int, int]] | None = None) -> None:
        """Replace the issues by the edits (in document order) of a check of text (which must be the
        document's text now); with within (UTF-16 spans: a partial check), only the issues inside those spans
        are replaced. A long result is made a batch per turn of the event loop, the screen's issues first."""
        self.ignored = [issue for issue in self.ignored if issue.is_intact()]
        ignored = {(i.start, i.end, i.edit.original, i.edit.replacement) for i in self.ignored}
        mapping, wanted = Utf16Map(text), []
        for edit in edits:
            start, end = mapping.to_utf16(edit.start), mapping.to_utf16(edit.end)
            if visible(edit) and (start, end, edit.original, edit.replacement) not in ignored:
                wanted.append((edit, start, end))
        self.current, self._pending = None, None
        if within is not None:
            kept = [i for i in self.issues if not any(low <= i.start < high for low, high in within)]
            self.issues = sorted(kept + [self._issue(*w) for w in wanted], key=lambda i: (i.start, i.end))
        elif len(wanted) <= BATCH:
            self.issues = [self._issue(*w) for w in wanted]
        else:
            split = bisect.bisect_left(wanted, self._screen_range()[0], key=lambda w: w[1])
            self._pending = _Pending(after=wanted[split:], before=wanted[:split])
            self.issues = []
            self._continue()
            return
        self._refresh()

    @property
    def complete(self) -> bool:
        """Every issue of the last result has been made (a long one takes several turns of the event loop)."""
        return self._pending is None

    def _issue(self, edit: Edit, start: int, end: int) -> Issue:
        cursor = self._cursor(start, end)
        return Issue(edit, cursor, "" if edit.original else _around(cursor))

    def _continue(self) -> None:
        """Make the next batch of a long result: the issues from the screen on, then those before it."""
        pending = self._pending
        if pending is None:
            return
        if pending.after:
            source, made = pending.after, pending.made_after
        else:
            source, made = pending.before, pending.made_before
        made.extend(self._issue(*w) for w in source[:BATCH])
        del source[:BATCH]
        self.issues = pending.made_before + pending.made_after
        if not pending.after and not pending.before:
            self._pending = None
        else:
            QTimer.singleShot(0, self._continue)
        if self._pending is None or pending.first:
            pending.first = False
            self._refresh()  # the screen's underlines at once, the rest when all are made
        else:
            self._draw()

    def refilter(self, visible: Callable[[Edit], bool]) -> None:
        self.issues = [issue for issue in self.issues if visible(issue.edit)]
        if self.current not in self.issues:
            self.current = None
        self._refresh()

    def clear(self) -> None:
        self.issues, self.current, self.ignored = [], None, []
        self._refresh()

    def issue_at(self, position: int) -> Issue | None:
        for issue in self._touching(position - 1, position + 1):  # an insertion shows on its neighbour
            start, end = self._display_span(issue)
            if start <= position <= end:
                return issue
        return None

    def neighbour(self, position: int, backwards: bool = False) -> Issue | None:
        """The next issue starting after position (or the previous one ending before it), wrapping round."""
        if not self.issues:
            return None
        ordered = sorted(self.issues, key=lambda i: (i.start, i.end))
        if backwards:
            before = [i for i in ordered if i.start < position]
            return before[-1] if before else ordered[-1]
        after = [i for i in ordered if i.start > position]
        return after[0] if after else ordered[0]

    def set_current(self, issue: Issue | None) -> None:
        self.current = issue
        self._refresh()

    def accept(self, issue: Issue) -> bool:
        return self.accept_many([issue]) == 1

    def accept_many(self, issues: Iterable[Issue]) -> int:
        """Apply the issues' edits as one undo step, from the end backwards; returns how many applied."""
        chosen = sorted((i for i in issues if i in self.issues and i.is_intact()),
                        key=lambda i: (i.start, i.end), reverse=True)
        if not chosen:
            return 0
        # Spans are read before editing: an insertion right after a word would otherwise stretch the word's
        # live cursor over it, and the word's fix would delete the inserted text.
        spans = [(issue.start, issue.end, issue.edit.replacement) for issue in chosen]
        edit_cursor = QTextCursor(self.document)
        edit_cursor.beginEditBlock()
        for start, end, replacement in spans:
            edit_cursor.setPosition(start)
            edit_cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            edit_cursor.insertText(replacement)
        edit_cursor.endEditBlock()
        gone = set(chosen)  # identity: a list's `in` made accepting everything quadratic
        self.issues = [i for i in self.issues if i not in gone]
        if self.current in chosen:
            self.current = None
        self._refresh()
        return len(chosen)

    def accept_all(self, kinds: Iterable[str] | None = None) -> int:
        wanted = set(KIND_IDS if kinds is None else kinds)
        return self.accept_many([i for i in self.issues if i.kind in wanted])

    def ignore(self, issue: Issue) -> None:
        if issue in self.issues:
            self.issues.remove(issue)
            self.ignored.append(issue)
            if self.current is issue:
                self.current = None
            self._refresh()

    def remove_where(self, predicate: Callable[[Issue], bool]) -> None:
        self.issues = [i for i in self.issues if not predicate(i)]
        if self.current not in self.issues:
            self.current = None
        self._refresh()

    def selections(self) -> list[QTextEdit.ExtraSelection]:
        """Underlines of the issues on screen and a margin around it (redrawn on scrolling): a long document's
        tens of thousands of selections would cost the editor a stall on every change."""
        out, formats = [], {}
        for issue in self._touching(*self._screen_range()):
            selection = QTextEdit.ExtraSelection()
            if issue.edit.original:  # the issue's own cursor: a new one costs a block layout (tens of µs)
                selection.cursor = issue.cursor
            else:
                selection.cursor = self._cursor(*self._display_span(issue))
            key = (issue.kind, issue is self.current)
            if key not in formats:
                formats[key] = self._format(issue)
            selection.format = formats[key]
            out.append(selection)
        return out

    def _format(self, issue: Issue) -> QTextCharFormat:
        fmt, color = QTextCharFormat(), kind_color(issue.kind)
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SpellCheckUnderline)
        fmt.setUnderlineColor(color)
        if issue is self.current:
            fmt.setBackground(QColor(color.red(), color.green(), color.blue(), 50))
        return fmt

    def _display_span(self, issue: Issue) -> tuple[int, int]:
        """An insertion has no characters to underline: show it on its neighbour in the same paragraph."""
        start, end = issue.start, issue.end
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
        """Drop issues whose text was just edited (touching the changed range); the rest follow the text. The
        rest of a long result still being made is dropped: its offsets are for the text before the edit."""
        self._pending = None
        low, high = position, position + added
        touched = [i for i in self._touching(low, high) if not i.is_intact()]
        if touched:
            gone = set(touched)
            self.issues = [i for i in self.issues if i not in gone]
            if self.current in touched:
                self.current = None
            self._refresh()

    def _touching(self, low: int, high: int) -> list[Issue]:
        """Issues whose span touches low..high. The list is in document order and stays so while the cursors
        follow edits (spans never overlap), so a keystroke looks at a few issues, not all of them."""
        last = bisect.bisect_right(self.issues, high, key=lambda issue: issue.start)
        first = last
        while first > 0 and self.issues[first - 1].end >= low:  # ends are in order too
            first -= 1
        return self.issues[first:last]

    def _draw(self) -> None:
        self.editor.setExtraSelections(self.selections())

    def _refresh(self) -> None:
        self._draw()
        self.changed.emit()


@dataclass
class _Pending:
    """The rest of a long result being made (see `IssueLayer.set_result`): (edit, start, end) in order."""

    after: list  # from the screen to the end of the document
    before: list  # from the start of the document to the screen
    made_after: list = field(default_factory=list)
    made_before: list = field(default_factory=list)
    first: bool = True
