"""Find and replace in the editor, optionally treating every alef form as one letter and ignoring diacritics.

Owns the find bar: search forwards and backwards with wrap-round, replace one, replace all as one undo step,
match case, and "ignore hamza and diacritics", where ا أ إ آ ٱ find each other and diacritics or tatweel in
the text or the search do not matter (the text itself is never changed by looking). Knows nothing of issues
or files.
"""
from __future__ import annotations

import re

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor, QTextDocument
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from nahawi_app.editor import NahawiEditor
from nahawi_app.strings import Strings

ALEFS = "اأإآٱ"
MARKS = "\u064B-\u065F\u0670\u0640"  # harakat, tanwin, shadda, sukun, superscript alef, tatweel


def folded_pattern(needle: str) -> str:
    """A regular expression for needle with every alef form standing for all of them and diacritics or
    tatweel allowed between any two letters ("" when needle is only marks)."""
    letters = [ch for ch in needle if not re.match(f"[{MARKS}]", ch)]
    parts = [f"[{ALEFS}]" if ch in ALEFS else QRegularExpression.escape(ch) for ch in letters]
    return f"[{MARKS}]*".join(parts) + (f"[{MARKS}]*" if parts else "")


class FindBar(QWidget):
    """Find and replace in an editor; Replace all is one undo step. Hidden until Ctrl+F."""

    def __init__(self, editor: NahawiEditor, strings: Strings, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        self.find_label, self.replace_label = QLabel(), QLabel()
        self.find_edit, self.replace_edit = QLineEdit(), QLineEdit()
        self.case, self.fold = QCheckBox(), QCheckBox()
        self.next_button, self.prev_button = QPushButton(), QPushButton()
        self.replace_button, self.replace_all_button = QPushButton(), QPushButton()
        self.message = QLabel()
        for widget in (self.find_label, self.find_edit, self.next_button, self.prev_button, self.replace_label,
                       self.replace_edit, self.replace_button, self.replace_all_button, self.case, self.fold,
                       self.message):
            layout.addWidget(widget)
        self.find_edit.returnPressed.connect(self.find_next)
        self.next_button.clicked.connect(self.find_next)
        self.prev_button.clicked.connect(lambda: self.find_next(backwards=True))
        self.replace_button.clicked.connect(self.replace_one)
        self.replace_all_button.clicked.connect(self.replace_all)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.close_bar,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.retranslate(strings)
        self.hide()

    def retranslate(self, s: Strings) -> None:
        self.strings = s
        self.find_label.setText(s("find"))
        self.replace_label.setText(s("replace"))
        self.next_button.setText(s("find_next"))
        self.prev_button.setText(s("find_prev"))
        self.replace_button.setText(s("replace_one"))
        self.replace_all_button.setText(s("replace_all"))
        self.case.setText(s("find_case"))
        self.fold.setText(s("find_fold"))

    def open_bar(self) -> None:
        selected = self.editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:
            self.find_edit.setText(selected)
        self.show()
        self.find_edit.setFocus()
        self.find_edit.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.editor.setFocus()

    def _flags(self, backwards: bool = False) -> QTextDocument.FindFlag:
        flags = QTextDocument.FindFlag(0)
        if self.case.isChecked():
            flags |= QTextDocument.FindFlag.FindCaseSensitively
        if backwards:
            flags |= QTextDocument.FindFlag.FindBackward
        return flags

    def _needle(self) -> str | QRegularExpression:
        """What to look for: the text as typed, or with "ignore hamza and diacritics" a pattern that matches
        any alef form for an alef and lets diacritics and tatweel stand anywhere."""
        needle = self.find_edit.text()
        if not needle or not self.fold.isChecked():
            return needle
        pattern = QRegularExpression(folded_pattern(needle))
        if not self.case.isChecked():
            pattern.setPatternOptions(QRegularExpression.PatternOption.CaseInsensitiveOption)
        return pattern

    def find_next(self, backwards: bool = False) -> bool:
        needle = self._needle()
        if not needle or (isinstance(needle, QRegularExpression) and not needle.pattern()):
            return False
        document, cursor = self.editor.document(), self.editor.textCursor()
        found = document.find(needle, cursor, self._flags(backwards))
        if found.isNull():  # wrap round
            start = QTextCursor(document)
            start.movePosition(QTextCursor.MoveOperation.End if backwards else QTextCursor.MoveOperation.Start)
            found = document.find(needle, start, self._flags(backwards))
        self.message.setText("" if not found.isNull() else self.strings("find_none"))
        if not found.isNull():
            self.editor.setTextCursor(found)
        return not found.isNull()

    def _matches_selection(self) -> bool:
        selected, needle = self.editor.textCursor().selectedText(), self._needle()
        if isinstance(needle, QRegularExpression):
            match = needle.match(selected)
            return match.hasMatch() and match.capturedLength() == len(selected)
        return selected == needle if self.case.isChecked() else selected.casefold() == needle.casefold()

    def replace_one(self) -> None:
        if self.editor.textCursor().hasSelection() and self._matches_selection():
            self.editor.textCursor().insertText(self.replace_edit.text())
        self.find_next()

    def replace_all(self) -> int:
        needle, replacement = self._needle(), self.replace_edit.text()
        if not self.find_edit.text() or (isinstance(needle, QRegularExpression) and not needle.pattern()):
            return 0
        document, count = self.editor.document(), 0
        edit = QTextCursor(document)
        edit.beginEditBlock()
        found = document.find(needle, 0, self._flags())
        while not found.isNull():
            found.insertText(replacement)
            count += 1
            found = document.find(needle, found, self._flags())
        edit.endEditBlock()
        self.message.setText(self.strings("replaced_n", count=count))
        return count
