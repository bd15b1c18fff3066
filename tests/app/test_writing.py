"""Writing in the real window with real key events (issue 13): Enter makes paragraphs, Esc closes the card,
the keyboard comes back to the text after the issue panel, the card stays on the screen."""
from __future__ import annotations

from app_helpers import type_text
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

RTL = Qt.LayoutDirection.RightToLeft


def directions(editor):
    block, out = editor.document().begin(), []
    while block.isValid():
        out.append(block.blockFormat().layoutDirection())
        block = block.next()
    return out


def test_enter_in_an_empty_rtl_paragraph_makes_a_new_paragraph(window, qtbot, tmp_path):
    """Qt 6.11 reset the empty paragraph's right-to-left format on Enter instead of inserting, and the
    direction fix set it back: three Enters in an empty file inserted nothing."""
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert window.open_path(path)
    editor = window.editor
    editor.setFocus()
    for _ in range(3):
        QTest.keyClick(editor, Qt.Key.Key_Return)
        qtbot.wait(1)  # the direction fix runs on the next turn of the event loop
    assert editor.plain_text() == "\n\n\n" and directions(editor) == [RTL] * 4
    type_text(editor, "نص")
    QTest.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert path.read_bytes() == "\n\n\nنص".encode()


def test_enter_twice_at_the_end_of_the_text_makes_a_blank_line(window, qtbot):
    editor = window.editor
    editor.setFocus()
    type_text(editor, "سطر")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.wait(1)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.wait(1)
    type_text(editor, "ثان")
    assert editor.plain_text() == "سطر\n\nثان"
    QTest.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)  # no U+2028 in a text file
    assert editor.plain_text() == "سطر\n\nثان\n"
    editor.undo()
    assert editor.plain_text() == "سطر\n\nثان"
