"""The editor keeps its text by following each change instead of reading 5 MB from Qt for every check
(issue 13): after typing, Enter, deleting, pasting, replacing a selection, direction changes joined to an
edit, undo and redo, `plain_text` is still exactly the document's text; a text with a character outside the
BMP (UTF-16 positions no longer match code points) is read from Qt each time."""
from __future__ import annotations

import pytest
from app_helpers import type_text
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QTextCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from nahawi_app.editor import NahawiEditor


def qt_text(editor) -> str:
    return editor.document().toRawText().replace("\u2029", "\n")


@pytest.fixture
def editor(qtbot):
    editor = NahawiEditor()
    qtbot.addWidget(editor)
    editor.show()
    editor.setFocus()
    return editor


def _key(editor, key, modifiers=Qt.KeyboardModifier.NoModifier):
    QTest.keyClick(editor, key, modifiers)


def _settle(qtbot):
    qtbot.wait(5)  # the paragraph directions are set on the next turn of the event loop


def test_the_kept_text_follows_every_kind_of_edit(editor, qtbot):
    editor.load_text("ذهب الطالب الى المدرسة\nسطر ثان\n\nEnglish line.")
    assert editor.plain_text() == qt_text(editor)
    assert editor.plain_text() is editor.plain_text()  # kept, not read again
    steps = [
        lambda: type_text(editor, "قال ان "),
        lambda: _key(editor, Qt.Key.Key_Return),
        lambda: type_text(editor, "Hello مرحبا\u00a0بكم"),  # a paragraph turned left to right; a no-break space
        lambda: _key(editor, Qt.Key.Key_Backspace),
        lambda: _key(editor, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier),
        lambda: _key(editor, Qt.Key.Key_Return),
        lambda: _key(editor, Qt.Key.Key_Return),
        lambda: type_text(editor, "آخر سطر"),
        lambda: _key(editor, Qt.Key.Key_Home, Qt.KeyboardModifier.ShiftModifier),  # select the line, then type over it
        lambda: type_text(editor, "بدل"),
        lambda: QApplication.clipboard().setText("ملصق\nسطران\tوجدولة"),
        lambda: QTest.keySequence(editor, QKeySequence.StandardKey.Paste),
        lambda: QTest.keySequence(editor, QKeySequence.StandardKey.Undo),
        lambda: QTest.keySequence(editor, QKeySequence.StandardKey.Undo),
        lambda: QTest.keySequence(editor, QKeySequence.StandardKey.Redo),
        lambda: _key(editor, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier),
        lambda: _key(editor, Qt.Key.Key_Delete),
        lambda: QTest.keySequence(editor, QKeySequence.StandardKey.SelectAll),
        lambda: _key(editor, Qt.Key.Key_Backspace),
        lambda: type_text(editor, "من جديد"),
    ]
    for number, step in enumerate(steps):
        step()
        _settle(qtbot)
        assert editor.plain_text() == qt_text(editor), number
    assert editor.plain_text() is editor.plain_text()
    assert editor.plain_text() == "من جديد"


def test_a_change_made_through_a_cursor_is_followed_too(editor, qtbot):
    editor.load_text("سطر أول\nسطر ثان")
    editor.plain_text()
    cursor = QTextCursor(editor.document())
    cursor.beginEditBlock()  # as accepting several suggestions does: one change reported for the whole block
    cursor.setPosition(4)
    cursor.setPosition(7, QTextCursor.MoveMode.KeepAnchor)
    cursor.insertText("الأول")
    cursor.setPosition(0)
    cursor.insertText("ال")
    cursor.endEditBlock()
    _settle(qtbot)
    assert editor.plain_text() == qt_text(editor) == "السطر الأول\nسطر ثان"


def test_text_outside_the_bmp_is_read_from_qt_and_kept_again_once_it_is_gone(editor, qtbot):
    editor.load_text("نص 😀 مع رمز")
    assert editor.plain_text() == qt_text(editor) == "نص 😀 مع رمز"
    assert editor.plain_text() is not editor.plain_text()  # read each time: positions are UTF-16 units
    type_text(editor, "x")
    assert editor.plain_text() == qt_text(editor)
    editor.load_text("نص بلا رمز")
    type_text(editor, "أ")
    _settle(qtbot)
    assert editor.plain_text() == qt_text(editor) == "أنص بلا رمز"
    type_text(editor, "😀")  # typed in: followed no longer, and still exact
    assert editor.plain_text() == qt_text(editor) == "أ😀نص بلا رمز"


@pytest.mark.parametrize("text", ["سطر\r\nثان", "سطر\rثان", "سطر\u2029ثان", "سطر\ufdd0ثان", "😀 سطر",
                                  "سطر\u2028ثان\u00a0\tو\u200fكلمة\n\n"])
def test_a_loaded_text_is_kept_as_loaded_only_where_qt_holds_it_unchanged(editor, qtbot, text):
    """Reading a 5 MB document back from Qt cost the first check 40 ms of the GUI thread, so the loaded text
    is kept as it is, except where Qt holds it otherwise (its own line breaks) or positions are not code
    points."""
    editor.load_text(text)
    assert editor.plain_text() == qt_text(editor)
    plain = "\r" not in text and "\u2029" not in text and "\ufdd0" not in text and "😀" not in text
    assert (editor._text == text) is plain  # kept without reading Qt's text back
    editor.textCursor().insertText("س")
    assert editor.plain_text() == qt_text(editor)
