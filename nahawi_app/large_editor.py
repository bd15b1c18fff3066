"""The large-document editor: a QPlainTextEdit with the interface of `editor.NahawiEditor`, for documents longer
than `LargeDocuments.threshold_chars`.

QTextEdit lays out the whole document after opening it (a 5 MB file: 220-410 ms per turn of the event loop
for the first seconds, with no Python involved) and a key costs it 10-20 ms there; QPlainTextEdit lays out
only the lines on screen. The price: its paragraphs share one alignment. Each paragraph still reads in its
own direction (the document's text option leaves the direction to each paragraph's first strong character),
and the shared alignment is the side the document's majority of lines reads from, so in an Arabic document an
English line reads left to right but sits on the right. The window tells the writer so in the status bar.
Owns only what differs from NahawiEditor: loading and hit-testing. Knows nothing of issues, checking or files.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from nahawi.errors import ConfigError
from nahawi_app.direction import first_strong, mostly_right_to_left
from nahawi_app.editor import EditorBehaviour


@dataclass(frozen=True)
class LargeDocuments:
    """When a document opens in the large-document editor."""

    threshold_chars: int = 1_000_000  # a document of more characters than this opens in LargeEditor

    def __post_init__(self):
        if isinstance(self.threshold_chars, bool) or not isinstance(self.threshold_chars, int) \
                or self.threshold_chars < 0:
            raise ConfigError(f"threshold_chars must be a whole number of characters >= 0, got {self.threshold_chars!r}")

    def wants_large(self, text: str) -> bool:
        return len(text) > self.threshold_chars


class LargeEditor(EditorBehaviour, QPlainTextEdit):
    hovered = Signal(int, QPoint)  # as NahawiEditor's
    clicked = Signal(int, QPoint)
    escape_pressed = Signal()
    context_menu_opening = Signal(object, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setup_behaviour()
        self.load_text("")

    def load_text(self, text: str) -> None:
        """Replace the document (no undo history, not modified): every paragraph reads in the direction of
        its first strong character, and all are aligned on the side most lines read from."""
        right_to_left = mostly_right_to_left([first_strong(line) for line in text.split("\n")])
        document = self.document()
        option = document.defaultTextOption()
        option.setTextDirection(Qt.LayoutDirection.LayoutDirectionAuto)
        option.setAlignment((Qt.AlignmentFlag.AlignRight if right_to_left else Qt.AlignmentFlag.AlignLeft)
                            | Qt.AlignmentFlag.AlignAbsolute)
        document.setDefaultTextOption(option)
        self._text = None
        self.setPlainText(text)
        self.keep_loaded_text(text)  # or read once from Qt when first asked
        document.clearUndoRedoStacks()
        document.setModified(False)
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def aligned_right(self) -> bool:
        """Whether the paragraphs are aligned on the right (the document reads mostly right to left)."""
        return bool(self.document().defaultTextOption().alignment() & Qt.AlignmentFlag.AlignRight)

    def visible_lines(self) -> tuple[int, int]:
        """Numbers (0-based) of the first and last lines (paragraphs) on screen."""
        first = self.firstVisibleBlock().blockNumber()
        viewport = self.viewport()
        last = self.cursorForPosition(QPoint(viewport.width() - 1, viewport.height() - 1)).blockNumber()
        return first, max(first, last)

    def position_at(self, point: QPoint) -> int:
        """Document position of the character under a viewport point, or -1 off the text (beside a short
        line or below the last)."""
        cursor = self.cursorForPosition(point)
        block = cursor.block()
        layout = block.layout()
        if layout is None:
            return -1
        line = layout.lineForTextPosition(cursor.positionInBlock())
        if not line.isValid():
            return -1
        origin = self.blockBoundingGeometry(block).translated(self.contentOffset()).topLeft()
        rect = line.naturalTextRect().translated(origin)
        return cursor.position() if rect.contains(QPointF(point)) else -1
