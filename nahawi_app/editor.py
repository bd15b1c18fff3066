"""The text widget: a plain-text QTextEdit that writes Arabic well (its find bar is `find.FindBar`; a large
document gets `large_editor.LargeEditor`, which shares `EditorBehaviour` with it).

Owns typing concerns only: an Arabic font (Noto Naskh Arabic, shipped in resources/fonts under the OFL, so
a system without one still shows Arabic, then the system's own) with fallbacks, zoom, right-to-left by default with each
paragraph's direction taken from its first strong character (so an English paragraph in an Arabic document
lays out left to right; the document's default direction is its majority's, and only the other paragraphs
carry a direction of their own), the document's plain text with exact positions, and hover/click positions for the
issue card. The text is read from Qt once and then kept by following each reported change (`plain_text`:
reading a 5 MB document for every check cost the GUI thread 45-70 ms). Paragraph directions are block formats; after a user edit they are joined to that edit's undo
step, so undo and redo restore text and direction together. Enter always starts a new paragraph (the file is
plain text: Shift+Enter too). Knows nothing of issues, checking or files.
"""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QTextCursor,
)
from PySide6.QtWidgets import QTextEdit, QWidget

from nahawi_app.direction import first_strong, mostly_right_to_left

BUNDLED_FONTS = Path(__file__).parent / "resources" / "fonts"
BUNDLED_FAMILY = "Noto Naskh Arabic"
FONT_FAMILIES = ("Noto Naskh Arabic", "Amiri", "Noto Sans Arabic", "Scheherazade New", "Geeza Pro",
                 "Segoe UI", "Arial", "DejaVu Sans")
BASE_POINT_SIZE = 15
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # a character of two UTF-16 units (emoji)
_REWRITTEN_BY_QT = ("\r", "\u2029", "\ufdd0", "\ufdd1")  # setPlainText makes paragraph breaks of these (of \r\n too)
HOVER_MS = 350  # how long the mouse rests on a character before the card shows


_bundled: list[str] | None = None  # families of the shipped fonts, once registered with Qt


def bundled_families() -> list[str]:
    """Register the fonts shipped with the package (once per process) and return their families; empty
    when the files are missing or unreadable."""
    global _bundled
    if _bundled is None:
        _bundled = []
        for file in sorted(BUNDLED_FONTS.glob("*.ttf")):
            font_id = QFontDatabase.addApplicationFont(str(file))
            if font_id >= 0:
                _bundled += [f for f in QFontDatabase.applicationFontFamilies(font_id) if f not in _bundled]
    return _bundled


def pick_families() -> list[str]:
    """The shipped Arabic font, then the preferred ones installed here, best first (Qt falls back along the
    list per glyph)."""
    families = list(bundled_families())
    installed = set(QFontDatabase.families())
    families += [family for family in FONT_FAMILIES if family in installed and family not in families]
    return families or ["DejaVu Sans"]


def has_arabic_font(families: list[str]) -> bool:
    """Whether one of families can draw Arabic (else every letter would be a box)."""
    return any(QFontDatabase.WritingSystem.Arabic in QFontDatabase.writingSystems(f) for f in families)


def strong_direction(text: str) -> Qt.LayoutDirection | None:
    """Direction of text's first strong character (Unicode bidi class L, R or AL), None if it has none."""
    found = first_strong(text)
    return None if found is None else (Qt.LayoutDirection.RightToLeft if found else Qt.LayoutDirection.LeftToRight)


def plan_directions(text: str) -> tuple[Qt.LayoutDirection, list[tuple[int, Qt.LayoutDirection]]]:
    """The direction most of text's lines (paragraphs) take from their first strong character (right to
    left on a tie or with none), and (line number, direction) for each line whose direction is the other."""
    found = [first_strong(line) for line in text.split("\n")]
    rtl = mostly_right_to_left(found)
    default, other = ((Qt.LayoutDirection.RightToLeft, Qt.LayoutDirection.LeftToRight) if rtl else
                      (Qt.LayoutDirection.LeftToRight, Qt.LayoutDirection.RightToLeft))
    return default, [(line, other) for line, strong in enumerate(found) if strong is (not rtl)]


class EditorBehaviour:
    """What both text widgets share (mixed into `NahawiEditor` and `large_editor.LargeEditor`, before their Qt
    class): the font, zoom, the kept plain text, Enter and Esc, and the hover, click and context-menu signals.
    A subclass declares the signals and gives `position_at` and `load_text`."""

    def setup_behaviour(self) -> None:
        self.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
        self.zoom = 0
        font = QFont()
        font.setFamilies(pick_families())
        font.setPointSize(BASE_POINT_SIZE)
        self._use_font(font)
        self.setMouseTracking(True)
        # The document's text as `plain_text` gives it, kept by splicing each reported change in (positions are
        # UTF-16 units, so only while it holds no character outside the BMP); None: read it from Qt again.
        self._text: str | None = None
        self._hover_pos, self._hover_global = -1, QPoint()
        self._hover_timer = QTimer(self, singleShot=True, interval=HOVER_MS)
        self._hover_timer.timeout.connect(lambda: self.hovered.emit(self._hover_pos, self._hover_global))
        self.document().contentsChange.connect(self._on_contents_change)

    # --- text -------------------------------------------------------------------------------------------

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        self._follow_text(position, removed, added)

    def visible_lines(self) -> tuple[int, int]:
        """Numbers (0-based) of the first and last lines (paragraphs) on screen."""
        viewport = self.viewport()
        first = self.cursorForPosition(QPoint(0, 0)).blockNumber()
        last = self.cursorForPosition(QPoint(viewport.width() - 1, viewport.height() - 1)).blockNumber()
        return first, max(first, last)

    def plain_text(self) -> str:
        """The text exactly as typed (no-break spaces kept), paragraphs joined by "\\n"; positions match Qt's."""
        if self._text is not None:
            return self._text
        text = self.document().toRawText().replace("\u2029", "\n")
        self._text = None if _ASTRAL.search(text) else text
        return text

    def keep_loaded_text(self, text: str) -> None:
        """Right after setPlainText(text): keep text itself as the document's when Qt holds it unchanged.
        Reading a 5 MB document back from Qt cost the first check 40 ms of the GUI thread."""
        same = (len(text) == self.document().characterCount() - 1  # a few C scans: a regex over 5 MB took 20 ms
                and not any(mark in text for mark in _REWRITTEN_BY_QT)
                and len(text.encode("utf-16-le", "surrogatepass")) == 2 * len(text))  # no emoji: positions match
        self._text = text if same else None

    def _follow_text(self, position: int, removed: int, added: int) -> None:
        """Splice one reported change into the kept text (from Qt's own text of the added range); drop it
        when the result does not have the document's length, or holds a character outside the BMP."""
        text = self._text
        if text is None:
            return
        document = self.document()
        length = document.characterCount() - 1  # Qt counts a paragraph separator after the last paragraph
        cursor = QTextCursor(document)
        cursor.setPosition(min(position, length))
        cursor.setPosition(min(position + added, length), QTextCursor.MoveMode.KeepAnchor)
        piece = cursor.selectedText().replace("\u2029", "\n")
        text = text[:position] + piece + text[min(position + removed, len(text)):]
        self._text = text if len(text) == length and not _ASTRAL.search(piece) else None

    # --- keys -------------------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.InsertParagraphSeparator) or event.matches(
                QKeySequence.StandardKey.InsertLineSeparator):
            self.insert_paragraph()
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self.escape_pressed.emit()
        super().keyPressEvent(event)

    def insert_paragraph(self) -> None:
        """Start a new paragraph at the cursor (replacing a selection), keeping the paragraph's direction.

        Qt 6.11's own Enter, in an empty paragraph whose format is not the default (ours carries its
        direction), resets the format instead of inserting; the direction fix then set it back, so Enter
        in an empty right-to-left paragraph did nothing. Shift+Enter would insert U+2028, which a plain-text
        file has no use for, so it starts a paragraph too."""
        cursor = self.textCursor()
        cursor.insertBlock()
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    # --- zoom -------------------------------------------------------------------------------------------

    def set_zoom(self, zoom: int) -> None:
        self.zoom = max(-8, min(40, zoom))
        font = self.document().defaultFont()
        font.setPointSize(BASE_POINT_SIZE + self.zoom)
        self._use_font(font)

    def _use_font(self, font: QFont) -> None:
        """Draw the text in font: the widget's own font, which Qt copies into the document whenever the
        widget's font changes. Set on the document alone, it was replaced by the application's (9 pt, no
        Arabic font first) as soon as the window added its fallback to the application's font."""
        self.setFont(font)
        self.document().setDefaultFont(font)

    def zoom_by(self, steps: int) -> None:
        self.set_zoom(self.zoom + steps)

    # --- mouse ---------------------------------------------------------------------------------------

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if event.buttons() != Qt.MouseButton.NoButton:
            return
        position = self.position_at(event.position().toPoint())
        if position != self._hover_pos:
            self._hover_pos, self._hover_global = position, event.globalPosition().toPoint()
            self._hover_timer.start()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and not self.textCursor().hasSelection():
            position = self.position_at(event.position().toPoint())
            if position >= 0:
                self.clicked.emit(position, event.globalPosition().toPoint())

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        """Qt's edit menu in the interface's language and direction (not the text's), with whatever the
        window puts first for the position under the mouse (or the cursor, from the keyboard)."""
        menu = self.createStandardContextMenu()
        menu.setLayoutDirection(QGuiApplication.layoutDirection())
        by_mouse = event.reason() == QContextMenuEvent.Reason.Mouse
        self.context_menu_opening.emit(menu, self.position_at(event.pos()) if by_mouse else self.textCursor().position())
        menu.exec(event.globalPos())
        menu.deleteLater()

    def leaveEvent(self, event) -> None:
        self._hover_timer.stop()
        self._hover_pos = -1
        super().leaveEvent(event)

    def span_rect(self, start: int, end: int) -> QRect:
        """Global rectangle of the text from start to end (its first line when it wraps): where a card
        about it belongs."""
        first, last = QTextCursor(self.document()), QTextCursor(self.document())
        first.setPosition(start)
        last.setPosition(max(start, end))
        rect = self.cursorRect(first)
        other = self.cursorRect(last)
        if other.top() == rect.top():
            rect = rect.united(other)
        return QRect(self.viewport().mapToGlobal(rect.topLeft()), rect.size())

    def is_right_to_left_at(self, position: int) -> bool:
        return self.document().findBlock(position).textDirection() == Qt.LayoutDirection.RightToLeft


class NahawiEditor(EditorBehaviour, QTextEdit):
    hovered = Signal(int, QPoint)  # document position under a resting mouse, global point
    clicked = Signal(int, QPoint)  # document position clicked (no selection made), global point
    escape_pressed = Signal()  # Esc in the text: close what floats over it (the card is never focused)
    context_menu_opening = Signal(object, int)  # QMenu about to open, document position it is about (-1: none)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptRichText(False)
        self._dirty: tuple[int, int] | None = None  # UTF-16 range whose paragraph directions need a look
        self.setup_behaviour()
        self.load_text("")

    # --- text -------------------------------------------------------------------------------------------

    def load_text(self, text: str) -> None:
        """Replace the document (no undo history, not modified). The document's default direction is its
        lines' majority direction and only the other lines get a paragraph format: formatting every
        paragraph of a 5 MB file one by one stalled the window for seconds."""
        default, exceptions = plan_directions(text)
        document = self.document()
        option = document.defaultTextOption()
        option.setTextDirection(default)
        document.setDefaultTextOption(option)
        self._text = None
        self.setPlainText(text)
        self.keep_loaded_text(text)  # or read once from Qt when first asked (as Qt keeps it: its line breaks)
        self._dirty = None
        if exceptions:
            self._apply_directions([(document.findBlockByNumber(line).position(), direction)
                                    for line, direction in exceptions], join=False)
        document.clearUndoRedoStacks()
        document.setModified(False)
        self.moveCursor(QTextCursor.MoveOperation.Start)

    # --- paragraph direction ----------------------------------------------------------------------------

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        super()._on_contents_change(position, removed, added)
        low, high = position, position + added
        if self._dirty is not None:
            low, high = min(low, self._dirty[0]), max(high, self._dirty[1])
        if self._dirty is None:
            QTimer.singleShot(0, self._fix_dirty_directions)  # not inside the edit that is being reported
        self._dirty = (low, high)

    def _fix_dirty_directions(self) -> None:
        if self._dirty is None:
            return
        low, high = self._dirty
        self._dirty = None
        document = self.document()
        block, last = document.findBlock(low), document.findBlock(min(high, document.characterCount() - 1))
        changes = []
        while block.isValid():
            wanted = self._wanted_direction(block)
            if block.textDirection() != wanted:
                changes.append((block.position(), wanted))
            if block == last:
                break
            block = block.next()
        if changes:
            self._apply_directions(changes, join=True)

    @staticmethod
    def _wanted_direction(block) -> Qt.LayoutDirection:
        found = strong_direction(block.text())
        # A paragraph with no letters yet keeps the direction it has (Enter copies the previous one's; a
        # paragraph without a format of its own has the document's).
        return found if found is not None else block.textDirection()

    def _apply_directions(self, changes: list[tuple[int, Qt.LayoutDirection]], join: bool) -> None:
        cursor = QTextCursor(self.document())
        if join and self.document().isUndoAvailable():
            cursor.joinPreviousEditBlock()  # part of the edit that changed the paragraph's first letter
        else:
            cursor.beginEditBlock()
        for position, direction in changes:
            cursor.setPosition(position)
            fmt = cursor.blockFormat()
            fmt.setLayoutDirection(direction)
            cursor.setBlockFormat(fmt)
        cursor.endEditBlock()

    # --- mouse ---------------------------------------------------------------------------------------

    def position_at(self, point: QPoint) -> int:
        """Document position of the character under a viewport point, or -1 off the text."""
        layout = self.document().documentLayout()
        offset = QPoint(self.horizontalScrollBar().value(), self.verticalScrollBar().value())
        return layout.hitTest(point + offset, Qt.HitTestAccuracy.ExactHit)
