"""Writing in the real window with real key events (issue 13): Enter makes paragraphs, Esc closes the card,
the keyboard comes back to the text after the issue panel, the card stays on the screen."""
from __future__ import annotations

from app_helpers import check, type_text
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from nahawi_app.card import card_position

RTL = Qt.LayoutDirection.RightToLeft


def directions(editor):
    block, out = editor.document().begin(), []
    while block.isValid():
        out.append(block.textDirection())  # as laid out: its own format, else the document's default
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


def fit_to_screen(window, qtbot):
    """The window fills the screen and the text its width (no issue panel): lines start at the screen's edge."""
    screen = window.screen().availableGeometry()
    window.dock.hide()
    window.setGeometry(screen)
    qtbot.waitUntil(lambda: window.geometry().right() <= screen.right())
    return screen


def test_the_card_for_an_underline_at_the_right_edge_stays_on_the_screen(window, qtbot):
    """The card opened at the mouse and grew to the right: near the right edge, where Arabic lines start,
    the suggestion and Accept were off the screen."""
    screen = fit_to_screen(window, qtbot)
    check(qtbot, window, "اريد ان اتعلم اللغة العربية وقواعدها")  # the first word: at the right edge
    issue = min(window.layer.issues, key=lambda i: i.start)
    cursor = QTextCursor(window.editor.document())
    cursor.setPosition(issue.start + 1)
    point = window.editor.cursorRect(cursor).center()
    assert window.editor.viewport().mapToGlobal(point).x() > screen.right() - 200
    qtbot.mouseClick(window.editor.viewport(), Qt.MouseButton.LeftButton, pos=point)
    card = window.card
    assert card.isVisible() and card.issue is issue
    assert screen.contains(card.frameGeometry()), (card.frameGeometry(), screen)
    word = window.editor.viewport().mapToGlobal(window.editor.cursorRect(cursor).bottomRight())
    assert card.frameGeometry().right() >= word.x() - 40  # it starts where the line starts: on the right
    assert card.frameGeometry().top() >= word.y()  # below the word, not over it


def test_the_card_near_the_bottom_opens_above_the_line(window, qtbot):
    screen = fit_to_screen(window, qtbot)
    check(qtbot, window, "\n" * 80 + "اريد ان اتعلم اللغة العربية وقواعدها")
    issue = max(window.layer.issues, key=lambda i: i.start)
    window.editor.verticalScrollBar().setValue(window.editor.verticalScrollBar().maximum())
    cursor = QTextCursor(window.editor.document())
    cursor.setPosition(issue.start + 1)
    rect = window.editor.cursorRect(cursor)
    assert window.editor.viewport().mapToGlobal(rect.bottomLeft()).y() > screen.bottom() - 150
    qtbot.mouseClick(window.editor.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.card.isVisible() and screen.contains(window.card.frameGeometry())
    assert window.card.frameGeometry().bottom() <= window.editor.viewport().mapToGlobal(rect.topLeft()).y()


def test_card_position_reads_from_the_side_of_the_line():
    screen, size = QRect(0, 0, 800, 600), QSize(300, 100)
    word = QRect(400, 100, 60, 20)
    assert card_position(word, size, screen, right_to_left=True) == QPoint(160, 124)  # right edges meet
    assert card_position(word, size, screen, right_to_left=False) == QPoint(400, 124)  # left edges meet
    assert card_position(QRect(780, 100, 20, 20), size, screen, False).x() == 500  # pushed back inside
    assert card_position(QRect(10, 100, 20, 20), size, screen, True).x() == 0
    assert card_position(QRect(400, 560, 60, 20), size, screen, True).y() == 456  # above: no room below


def test_esc_closes_the_card(window, qtbot):
    """Esc was a shortcut of the card, a tooltip window that never has the keyboard: it did nothing."""
    check(qtbot, window, "اريد ان اتعلم اللغة العربية وقواعدها")
    window.activateWindow()
    window.editor.setFocus()
    window.next_issue()
    assert window.card.isVisible()
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not window.card.isVisible()
    assert window.editor.plain_text() == "اريد ان اتعلم اللغة العربية وقواعدها"


def test_typing_after_clicking_an_issue_in_the_panel_goes_to_the_text(window, qtbot):
    """After a click in the issue list the keyboard stayed in the list: what the writer typed was lost."""
    check(qtbot, window, "اريد ان اتعلم اللغة العربية وقواعدها")
    window.activateWindow()
    panel = window.panel
    item = panel.list.item(0)
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=panel.list.visualItemRect(item).center())
    target = panel.issues[0]
    assert window.editor.textCursor().selectedText() == target.edit.original
    assert QApplication.focusWidget() is window.editor
    type_text(QApplication.focusWidget(), "أريد")
    assert window.editor.plain_text() == "أريد ان اتعلم اللغة العربية وقواعدها"
