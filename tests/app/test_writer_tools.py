"""What writers expect from an editor (issue 13): ignore a word everywhere in the document, a word and issue
count, the shortcut list and About, through real key events and clicks in the real window."""
from __future__ import annotations

import dataclasses

from app_helpers import BIDI_MARKS, DOCUMENT, check, drawn_order
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QMessageBox, QPushButton, QTableWidget

from nahawi_app.strings import Strings

REPEATED = DOCUMENT + "\n" + "رايت مصطفي يمشي علي الشاطئ 😀 مع أخيه."  # the same word fixed twice


def test_ignore_all_hides_every_occurrence_of_the_word_in_this_document_only(window, qtbot):
    check(qtbot, window, REPEATED)
    word = [i for i in window.layer.issues if i.edit.original == "مصطفي"]
    assert len(word) == 2
    window.show_card(word[0])
    qtbot.mouseClick(window.card.ignore_word_button, Qt.MouseButton.LeftButton)
    assert not any(i.edit.original == "مصطفي" for i in window.layer.issues)
    assert any(i.edit.original == "علي" for i in window.layer.issues)  # other words keep theirs
    check(qtbot, window)
    assert not any(i.edit.original == "مصطفي" for i in window.layer.issues)  # and later checks too
    assert "مصطفي" not in window.settings.dictionary  # not the dictionary: other documents still show it
    window.new_document()
    check(qtbot, window, REPEATED)
    assert sum(i.edit.original == "مصطفي" for i in window.layer.issues) == 2


def test_the_status_bar_counts_words_and_issues(window, qtbot):
    check(qtbot, window, DOCUMENT)
    s = window.strings
    assert window.status_labels["words"].text() == s("status_words", count=len(DOCUMENT.split()))
    assert window.status_labels["issues"].text() == s("status_issues", count=len(window.layer.issues))


def test_f1_lists_the_shortcuts_in_arabic(window, qtbot):
    window.editor.setFocus()
    QTest.keyClick(window.editor, Qt.Key.Key_F1)
    dialog = window.findChild(QDialog, "shortcuts")
    assert dialog is not None and dialog.isVisible()
    table = dialog.findChild(QTableWidget)
    rows = {table.item(r, 0).text(): table.item(r, 1).text().strip(BIDI_MARKS) for r in range(table.rowCount())}
    ar = Strings("ar")
    assert rows[ar("act_save")] == window.actions_["save"].shortcut().toString(
        window.actions_["save"].shortcut().SequenceFormat.NativeText)
    assert rows[ar("act_next_issue")] == "F8" and rows[ar("act_shortcuts")] == "F1"
    assert dialog.layoutDirection() == Qt.LayoutDirection.RightToLeft
    [close] = dialog.findChildren(QPushButton)  # seen in the real window: Esc or the title bar's × only
    assert close.text() == ar("shortcuts_close")
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_the_shortcut_list_draws_each_key_combination_left_to_right(window, qtbot):
    """Seen in the real window: in the right-to-left list "Ctrl+," read ",+Ctrl" and "Ctrl++" "++Ctrl"."""
    window.actions_["shortcuts"].trigger()
    table = window.help_dialog.findChild(QTableWidget)
    keys = [action.shortcut().toString(action.shortcut().SequenceFormat.NativeText)
            for action in window.actions_.actions.values() if not action.shortcut().isEmpty()]
    assert {"Ctrl+,", "Ctrl++", "Ctrl+-"} <= set(keys)
    drawn = [drawn_order(table.item(r, 1).text(), table.layoutDirection()) for r in range(table.rowCount())]
    assert table.layoutDirection() == Qt.LayoutDirection.RightToLeft and drawn == keys
    window.help_dialog.close()


def test_about_names_the_version_and_the_model(window, qtbot):
    from nahawi import __version__

    window.actions_["about"].trigger()
    box = window.help_dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert __version__ in box.text() and window.info.model_name in box.text()
    box.close()


def test_find_can_treat_alef_forms_and_diacritics_as_the_same_letters(window, qtbot):
    from app_helpers import type_text

    window.editor.load_text("ذهبَ إلى المَدْرَسَة ثم آلى على نفسه ثم الى البيت")
    window.editor.setFocus()
    QTest.keyClick(window.editor, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    bar = window.find_bar
    assert bar.isVisible() and bar.find_edit.hasFocus()
    type_text(bar.find_edit, "الى")
    QTest.keyClick(bar.find_edit, Qt.Key.Key_Return)
    assert window.editor.textCursor().selectedText() == "الى"  # exact by default: only the last one
    qtbot.mouseClick(bar.fold, Qt.MouseButton.LeftButton)
    assert bar.fold.isChecked()
    found = []
    for _ in range(3):
        QTest.keyClick(bar.find_edit, Qt.Key.Key_Return)
        found.append(window.editor.textCursor().selectedText())
    assert found == ["إلى", "آلى", "الى"]
    bar.find_edit.clear()
    type_text(bar.find_edit, "مدرسة")
    QTest.keyClick(bar.find_edit, Qt.Key.Key_Return)
    assert window.editor.textCursor().selectedText() == "مَدْرَسَة"
    bar.find_edit.clear()
    type_text(bar.find_edit, "الى")
    bar.replace_edit.setText("إلى")
    qtbot.mouseClick(bar.replace_all_button, Qt.MouseButton.LeftButton)
    assert window.editor.plain_text() == "ذهبَ إلى المَدْرَسَة ثم إلى على نفسه ثم إلى البيت"
    window.undo()
    assert window.editor.plain_text() == "ذهبَ إلى المَدْرَسَة ثم آلى على نفسه ثم الى البيت"


def test_ignored_words_and_occurrences_stay_with_the_document(make_window, qtbot, tmp_path):
    """Ignoring was forgotten with the window: reopening the document showed every ignored issue again."""
    import stat

    path = tmp_path / "مقال.txt"
    path.write_text(REPEATED, encoding="utf-8")
    window = make_window()
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    assert window.open_path(path)
    check(qtbot, window)
    window.show_card(next(i for i in window.layer.issues if i.edit.original == "مصطفي"))
    qtbot.mouseClick(window.card.ignore_word_button, Qt.MouseButton.LeftButton)
    one = next(i for i in window.layer.issues if i.edit.original == "علي")
    window.show_card(one)
    qtbot.mouseClick(window.card.ignore_button, Qt.MouseButton.LeftButton)
    shown = sorted((i.start, i.edit.original) for i in window.layer.issues)
    window.close()
    kept = list((tmp_path / "data" / "ignored").iterdir())
    assert len(kept) == 1 and "مقال" not in kept[0].name
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(kept[0].parent.stat().st_mode) == 0o700

    again = make_window()
    qtbot.waitUntil(lambda: again.info is not None, timeout=20000)
    assert again.open_path(path)
    check(qtbot, again)
    assert sorted((i.start, i.edit.original) for i in again.layer.issues) == shown
    assert sum(i.edit.original == "علي" for i in again.layer.issues) == 1  # only the ignored occurrence is gone
    kept[0].write_text("[1, 2", encoding="utf-8")  # a damaged record: the document opens with nothing ignored
    assert again.open_path(path)
    check(qtbot, again)
    assert sum(i.edit.original == "مصطفي" for i in again.layer.issues) == 2


def test_the_card_says_what_changes_in_this_word(window, qtbot):
    from nahawi_app.reasons import edit_reason

    check(qtbot, window, DOCUMENT)
    issue = next(i for i in window.layer.issues if i.edit.original == "الى")
    window.show_card(issue)
    assert window.card.reason.isVisible()
    assert window.card.reason.text() == "في «الى»: الألف بهمزة تحتها (إ) بدل الألف (ا)"
    window.apply_settings(dataclasses.replace(window.settings, language="en"))
    window.show_card(next(i for i in window.layer.issues if i.edit.original == "المدرسه"))
    assert window.card.reason.text() == "In “المدرسه”: heh (ه) becomes ta marbuta (ة)"
    rewrite = next(i for i in window.layer.issues if i.edit.original == "الى").edit
    assert edit_reason(window.strings, dataclasses.replace(rewrite, replacement="نحو")) == ""  # whole word: no more to say
