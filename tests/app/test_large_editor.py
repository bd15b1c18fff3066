"""The large-document editor (issue 13: a 5 MB file in QTextEdit stalled the window for seconds): a document
over the threshold opens in `LargeEditor`, which the window, the underlines, the card, find and undo use as
they use the ordinary editor; a smaller document opens in the ordinary one again."""
from __future__ import annotations

import pytest
from app_helpers import DOCUMENT, check, type_text
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtTest import QTest

from nahawi.contract import apply_edits
from nahawi.errors import ConfigError
from nahawi_app.editor import NahawiEditor
from nahawi_app.large_editor import LargeDocuments, LargeEditor
from nahawi_app.strings import Strings

THRESHOLD = 100  # DOCUMENT (about 250 characters) is a large document for these windows


@pytest.fixture
def large_window(make_window, qtbot):
    window = make_window(large=LargeDocuments(threshold_chars=THRESHOLD))
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    return window


def open_text(window, tmp_path, text: str, name: str = "doc.txt") -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert window.open_path(path)


def test_a_long_document_opens_in_the_large_editor_and_a_short_one_in_the_ordinary(large_window, tmp_path):
    window = large_window
    assert isinstance(window.editor, NahawiEditor) and window.status_labels["mode"].text() == ""
    open_text(window, tmp_path, DOCUMENT)
    editor = window.editor
    assert isinstance(editor, LargeEditor) and editor.isVisible()
    assert window.find_bar.editor is editor and window.layer.editor is editor
    assert window.status_labels["mode"].text() == Strings("ar")("status_large_document")
    assert editor.plain_text() == DOCUMENT and not editor.document().isModified()
    assert editor.aligned_right()  # most lines are Arabic
    english = editor.document().findBlockByNumber(DOCUMENT.split("\n").index("English line.")).position()
    assert not editor.is_right_to_left_at(english) and editor.is_right_to_left_at(0)  # each reads its own way
    open_text(window, tmp_path, "نص قصير", "short.txt")
    assert isinstance(window.editor, NahawiEditor) and window.editor.plain_text() == "نص قصير"
    assert window.status_labels["mode"].text() == ""


def test_an_english_large_document_is_aligned_left(large_window, tmp_path):
    open_text(large_window, tmp_path, "An English line of text.\n" * 6 + "سطر عربي")
    assert isinstance(large_window.editor, LargeEditor) and not large_window.editor.aligned_right()


def test_typing_enter_and_undo_with_real_keys_in_the_large_editor(large_window, tmp_path, qtbot):
    window = large_window
    open_text(window, tmp_path, DOCUMENT)
    editor = window.editor
    editor.setFocus()
    QTest.keyClick(editor, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    type_text(editor, "\n\n\nكلمة")
    assert editor.plain_text() == DOCUMENT + "\n\n\nكلمة"  # Enter in an empty paragraph adds one
    assert editor.document().isModified() and window.isWindowModified()
    QTest.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.plain_text().startswith(DOCUMENT) and "كلمة" not in editor.plain_text()


def test_underlines_card_and_accept_in_the_large_editor(large_window, tmp_path, qtbot):
    window = large_window
    open_text(window, tmp_path, DOCUMENT)
    result = check(qtbot, window)
    assert result.correction.edits and window.editor.extraSelections()
    issue = next(i for i in window.layer.issues if i.kind == "letter_confusion")
    cursor = QTextCursor(window.editor.document())
    cursor.setPosition(issue.start + 2)
    qtbot.mouseMove(window.editor.viewport(), QPoint(1, 1))  # Qt sends no move to where an earlier test left the mouse
    qtbot.mouseMove(window.editor.viewport(), window.editor.cursorRect(cursor).center())
    qtbot.waitUntil(lambda: window.card.isVisible(), timeout=3000)
    assert window.card.issue is issue
    QTest.keyClick(window.editor, Qt.Key.Key_Escape)
    assert not window.card.isVisible()
    qtbot.mouseClick(window.editor.viewport(), Qt.MouseButton.LeftButton, pos=window.editor.cursorRect(cursor).center())
    assert window.card.isVisible() and window.card.issue is issue
    qtbot.mouseClick(window.card.accept_button, Qt.MouseButton.LeftButton)
    assert window.editor.plain_text() == apply_edits(DOCUMENT, [issue.edit])
    QTest.keyClick(window.editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.plain_text() == DOCUMENT


def test_the_mouse_beside_a_short_line_is_off_the_text(large_window, tmp_path):
    open_text(large_window, tmp_path, DOCUMENT)
    editor = large_window.editor
    cursor = QTextCursor(editor.document())
    cursor.setPosition(DOCUMENT.index("سطر بلا أخطاء"))
    line = editor.cursorRect(cursor)
    assert editor.position_at(line.center()) >= 0
    assert editor.position_at(QPoint(5, line.center().y())) == -1  # left of a short right-aligned line
    assert editor.position_at(QPoint(5, editor.viewport().height() - 2)) == -1  # below the last line


def test_find_works_in_the_large_editor(large_window, tmp_path):
    window = large_window
    open_text(window, tmp_path, DOCUMENT)
    window.editor.setFocus()
    QTest.keyClick(window.editor, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    type_text(window.find_bar.find_edit, "الشاطئ")
    QTest.keyClick(window.find_bar.find_edit, Qt.Key.Key_Return)
    assert window.editor.textCursor().selectedText() == "الشاطئ"


@pytest.mark.parametrize("bad", [-1, 1.5, "1000", True])
def test_a_bad_threshold_is_refused_with_its_value(bad):
    with pytest.raises(ConfigError, match="threshold_chars"):
        LargeDocuments(threshold_chars=bad)


def test_a_partial_result_replaces_only_the_issues_of_its_lines(large_window, tmp_path, qtbot, monkeypatch):
    """The lines on screen of a long document, checked again after a key, replace the issues there; those
    elsewhere stay (shifted by the key), and an ignored one stays hidden."""
    from test_long_documents import long_text

    from nahawi_app import worker as worker_module

    monkeypatch.setattr(worker_module, "PIECE_CHARS", 400)
    window = large_window
    open_text(window, tmp_path, long_text(150))
    editor = window.editor
    editor.verticalScrollBar().setValue(editor.verticalScrollBar().maximum() // 2)
    check(qtbot, window)
    ignored = window.layer.issues[0]
    window.layer.ignore(ignored)
    first, _ = editor.visible_lines()
    cursor = editor.textCursor()
    cursor.setPosition(editor.document().findBlockByNumber(first).position())
    editor.setTextCursor(cursor)
    editor.setFocus()
    type_text(editor, "س ")
    kept = [(i.start, i.end, i.edit) for i in window.layer.issues]
    seen, panel = [], window.panel

    def on_partial(result):
        seen.append((result, [(i.start, i.end, i.edit) for i in window.layer.issues]))
        panel.list.item(0).setData(Qt.ItemDataRole.UserRole + 1, "listed at the partial result")

    window.controller.partial.connect(on_partial)
    with qtbot.waitSignal(window.checked, timeout=60000):
        window.check_now()
    [(partial, shown)] = seen
    [(low, high)] = partial.spans
    expected = sorted([row for row in kept if not low <= row[0] < high]
                      + [(e.start, e.end, e) for e in partial.edits], key=lambda row: row[0])
    assert shown == expected and any(low <= row[0] < high for row in shown)
    assert any(row[0] >= high for row in shown) and any(row[0] < low for row in shown)
    assert ignored.edit not in [row[2] for row in shown]
    assert panel.list.item(0).data(Qt.ItemDataRole.UserRole + 1)  # the whole result lists the same: list kept
    rect = panel.list.visualItemRect(panel.list.item(0))
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.layer.current is window.layer.issues[0]  # the current result's issue, though the list was kept
    assert editor.hasFocus() and editor.textCursor().selectedText() == window.layer.issues[0].edit.original


def test_a_key_before_the_listed_issues_keeps_the_list_and_a_click_finds_the_moved_issue(window, qtbot):
    check(qtbot, window, DOCUMENT)
    panel, editor = window.panel, window.editor
    panel.list.item(1).setData(Qt.ItemDataRole.UserRole + 1, "listed before the key")
    editor.setFocus()
    editor.moveCursor(QTextCursor.MoveOperation.Start)
    type_text(editor, "و")
    assert panel.list.item(1).data(Qt.ItemDataRole.UserRole + 1)  # the list reads the same: kept, not rebuilt
    rect = panel.list.visualItemRect(panel.list.item(1))
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    issue = window.layer.issues[1]
    assert window.layer.current is issue and editor.textCursor().selectionStart() == issue.start
    assert editor.textCursor().selectedText() == issue.edit.original
