"""The interface language reaches everything a writer reads (issue 13): dialogs, prompts and the text's context
menu are right-to-left with Arabic buttons in the Arabic interface, and a suggestion reads from the mistake
to the fix in both languages."""
from __future__ import annotations

import dataclasses

import pytest
from app_helpers import check, drawn_order, laid_out, type_text
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QContextMenuEvent, QTextCursor, QTextDocumentFragment
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMenu, QMessageBox, QPushButton

from nahawi_app.settings import SettingsDialog

RTL, LTR = Qt.LayoutDirection.RightToLeft, Qt.LayoutDirection.LeftToRight
ENGLISH_BUTTONS = {"OK", "&OK", "Cancel", "&Cancel", "Save", "&Save", "Discard", "&Discard", "Yes", "No"}


def when_shown(qtbot, inspect, popup: bool = False):
    """Run inspect(widget) on the next modal dialog (or popup menu) to open, from the event loop."""
    seen = []

    def look():
        widget = QApplication.activePopupWidget() if popup else QApplication.activeModalWidget()
        if widget is None:
            QTimer.singleShot(20, look)
            return
        try:
            seen.append(inspect(widget))
        finally:  # never leave a dialog open: the test would wait for it forever
            if widget.isVisible():
                widget.close()
    QTimer.singleShot(20, look)
    return seen


def test_the_settings_dialog_is_right_to_left_with_arabic_buttons(window):
    dialog = SettingsDialog(window.settings, window.strings, window)
    buttons = dialog.findChild(QDialogButtonBox).buttons()
    assert dialog.layoutDirection() == RTL
    assert len(buttons) == 2 and not {b.text() for b in buttons} & ENGLISH_BUTTONS, [b.text() for b in buttons]
    dialog.deleteLater()


def test_the_unsaved_changes_prompt_is_arabic_and_right_to_left(make_window, qtbot):
    window = make_window()
    window.editor.textCursor().insertText("مسودة")

    def answer(box):
        texts = [b.text() for b in box.findChildren(QPushButton)]
        direction = box.layoutDirection()
        next(b for b in box.findChildren(QPushButton) if b.text() == "إلغاء").click()
        return direction, texts
    seen = when_shown(qtbot, answer)
    assert not window.close() and window.isVisible()
    [(direction, texts)] = seen
    assert direction == RTL and sorted(texts) == sorted(["احفظ", "لا تحفظ", "إلغاء"])

    seen = when_shown(qtbot, lambda box: next(b for b in box.findChildren(QPushButton)
                                              if b.text() == "لا تحفظ").click())
    assert window.close() and seen


def test_the_text_context_menu_follows_the_interface_and_offers_the_suggestion(window, qtbot):
    check(qtbot, window, "اريد ان اتعلم اللغة العربية وقواعدها")
    issue = min(window.layer.issues, key=lambda i: i.start)
    cursor = QTextCursor(window.editor.document())
    cursor.setPosition(issue.start + 1)
    point = window.editor.cursorRect(cursor).center()

    def look(menu: QMenu):
        texts = [a.text() for a in menu.actions()]
        direction = menu.layoutDirection()
        menu.actions()[0].trigger()
        menu.close()
        return direction, texts
    seen = when_shown(qtbot, look, popup=True)
    viewport = window.editor.viewport()  # a right click, as the platform delivers it after the button press
    QApplication.sendEvent(viewport, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point,
                                                       viewport.mapToGlobal(point)))
    qtbot.waitUntil(lambda: bool(seen))
    [(direction, texts)] = seen
    assert direction == RTL
    assert issue.edit.replacement in texts[0]  # the suggestion first: choosing it accepts it
    assert any("تراجع" in t for t in texts) and not any(t.startswith("&Undo") for t in texts)
    assert window.editor.plain_text().startswith(issue.edit.replacement)


def reads_from(text: str, direction, first: str, second: str) -> bool:
    """Whether, laid out in a paragraph of direction (as QLabel and item views lay out their text), the
    arrow in text points from first to second: first drawn on the arrow's tail side."""
    _layout, line = laid_out(text, direction, 2000)  # the layout kept alive while its line is read
    x_first = line.cursorToX(text.index(first) + 1)[0]
    x_second = line.cursorToX(text.index(second) + 1)[0]
    return x_first > x_second if "←" in text else x_first < x_second


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_suggestion_reads_from_the_mistake_to_the_fix(window, qtbot, language):
    """In the English interface the card and the panel read reversed: the arrow pointed from the fix to the
    mistake (the two Arabic words and the arrow between them were laid out as one right-to-left run)."""
    window.apply_settings(dataclasses.replace(window.settings, language=language))
    check(qtbot, window, "اريد ان اتعلم اللغة العربية وقواعدها")
    issue = min(window.layer.issues, key=lambda i: i.start)
    window.show_card(issue)
    label, item = window.card.suggestion, window.panel.list.item(0)
    card_text = QTextDocumentFragment.fromHtml(label.text()).toPlainText()
    arrow = "←" if language == "ar" else "→"
    assert arrow in card_text and arrow in item.text()
    assert reads_from(card_text, label.layoutDirection(), issue.edit.original, issue.edit.replacement)
    assert reads_from(item.text(), window.panel.list.layoutDirection(), issue.edit.original, issue.edit.replacement)
    window.apply_settings(dataclasses.replace(window.settings, language="ar"))


def test_english_dialogs_are_left_to_right(window):
    window.apply_settings(dataclasses.replace(window.settings, language="en"))
    dialog = SettingsDialog(window.settings, window.strings, window)
    assert dialog.layoutDirection() == LTR
    assert {b.text() for b in dialog.findChild(QDialogButtonBox).buttons()} <= ENGLISH_BUTTONS
    dialog.deleteLater()
    window.apply_settings(dataclasses.replace(window.settings, language="ar"))
    assert QMessageBox(window).layoutDirection() == RTL


def test_a_saved_files_path_reads_left_to_right_in_the_arabic_status_bar(window, tmp_path):
    """Seen in the real window: after Ctrl+S the status bar read «حُفظ في tmp/doc.txt/», the path's first slash
    drawn at its end (a path laid out in the sentence's right-to-left order)."""
    from PySide6.QtTest import QTest

    path = tmp_path / "notes (2).txt"
    path.write_bytes(b"")
    assert window.open_path(path)
    window.editor.setFocus()
    type_text(window.editor, "نص")
    QTest.keyClick(window.editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    bar = window.statusBar()
    assert path.read_bytes() == "نص".encode() and bar.layoutDirection() == RTL
    assert str(path) in drawn_order(bar.currentMessage(), bar.layoutDirection())


def qt_texts(dialog) -> list[str]:
    """Every caption a Qt dialog shows on its labels and buttons (accelerator marks left out)."""
    from PySide6.QtWidgets import QAbstractButton, QLabel

    widgets = dialog.findChildren(QLabel) + dialog.findChildren(QAbstractButton)
    return [w.text().replace("&", "") for w in widgets if w.isVisibleTo(dialog) and w.text()]


def press_shortcut(window, name: str):
    from PySide6.QtTest import QTest

    window.editor.setFocus()
    shortcut = window.actions_[name].shortcut()[0]
    QTest.keyClick(window.editor, shortcut.key(), shortcut.keyboardModifiers())


def browse_for_a_model(window):
    dialog = SettingsDialog(window.settings, window.strings, window)
    browse = next(b for b in dialog.findChildren(QPushButton) if b.text() == window.strings("set_browse"))
    browse.click()
    dialog.deleteLater()


@pytest.mark.parametrize("opener", [lambda window: press_shortcut(window, "open"),
                                    lambda window: press_shortcut(window, "save_as"),
                                    browse_for_a_model,
                                    lambda window: window.actions_["learn"].trigger()],
                         ids=["open", "save as", "model folder", "learn from"])
def test_the_file_dialogs_speak_arabic_right_to_left(window, qtbot, opener):
    """Seen in the real window: Qt's Arabic translation leaves the file dialog's "Look in:" and "Files of type:"
    in English."""
    def look(dialog):
        texts = qt_texts(dialog)
        dialog.reject()
        return dialog.layoutDirection(), texts
    seen = when_shown(qtbot, look)
    opener(window)
    qtbot.waitUntil(lambda: bool(seen))
    [(direction, texts)] = seen
    assert direction == RTL and len(texts) >= 4
    assert not [t for t in texts if any("a" <= c.lower() <= "z" for c in t)], texts
