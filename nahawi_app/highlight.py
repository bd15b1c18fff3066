"""Underlines: the issues of the current check, anchored in the document, drawn as wavy extra selections.

Owns the link between the engine's edits (code-point offsets into the checked text) and the QTextDocument
(UTF-16 positions): `Utf16Map` is the app's one conversion helper. Each `Issue` holds a QTextCursor over its
span, so underlines follow the text while the user keeps typing; an issue whose text is edited disappears
until the next check. Accepting applies edits through QTextCursor inside one edit block (one undo step),
from the end of the document backwards. Also owns the kind → colour legend. Knows nothing of the engine,
the worker or files.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import accumulate

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextEdit

from nahawi.contract import Edit
from nahawi.kinds import KIND_IDS
from nahawi.text.offsets import utf16_length

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
        self.document.contentsChange.connect(self._on_contents_change)

    def set_result(self, text: str, edits: Iterable[Edit], visible: Callable[[Edit], bool],
                   within: list[tuple[int, int]] | None = None) -> None:
        """Replace the issues by the edits of a check of text (which must be the document's text now); with
        within (UTF-16 spans: a partial check), only the issues inside those spans are replaced."""
        self.ignored = [issue for issue in self.ignored if issue.is_intact()]
        ignored = {(i.start, i.end, i.edit.original, i.edit.replacement) for i in self.ignored}
        mapping = Utf16Map(text)
        issues = [] if within is None else [i for i in self.issues
                                             if not any(low <= i.start < high for low, high in within)]
        for edit in edits:
            start, end = mapping.to_utf16(edit.start), mapping.to_utf16(edit.end)
            if not visible(edit) or (start, end, edit.original, edit.replacement) in ignored:
                continue
            cursor = self._cursor(start, end)
            issues.append(Issue(edit, cursor, "" if edit.original else _around(cursor)))
        self.issues = sorted(issues, key=lambda i: (i.start, i.end)) if within is not None else issues
        self.current = None
        self._refresh()

    def refilter(self, visible: Callable[[Edit], bool]) -> None:
        self.issues = [issue for issue in self.issues if visible(issue.edit)]
        if self.current not in self.issues:
            self.current = None
        self._refresh()

    def clear(self) -> None:
        self.issues, self.current, self.ignored = [], None, []
        self._refresh()

    def issue_at(self, position: int) -> Issue | None:
        for issue in self.issues:
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
        self.issues = [i for i in self.issues if i not in chosen]
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
        out = []
        for issue in self.issues:
            start, end = self._display_span(issue)
            selection = QTextEdit.ExtraSelection()
            selection.cursor = self._cursor(start, end)
            selection.format = self._format(issue)
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

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        """Drop issues whose text was just edited (touching the changed range); the rest follow the text."""
        low, high = position, position + added
        touched = [i for i in self.issues if i.start <= high and i.end >= low and not i.is_intact()]
        if touched:
            self.issues = [i for i in self.issues if i not in touched]
            if self.current in touched:
                self.current = None
            self._refresh()

    def _refresh(self) -> None:
        self.editor.setExtraSelections(self.selections())
        self.changed.emit()
