"""Checking in the real window: underlines on the engine's spans, accepting, stale results, incremental checks,
navigation, the card and the panel — against a real Corrector on the trained tiny model (see conftest)."""
from __future__ import annotations

import dataclasses
import gc
import sys

import pytest
from app_helpers import DOCUMENT, FULL_STOP_AFTER_A_FIX, SPACING, check, learned_correction
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCharFormat, QTextCursor

from nahawi.contract import Correction, apply_edits
from nahawi.kinds import KINDS
from nahawi.text.offsets import utf16_offset
from nahawi_app.highlight import kind_color
from nahawi_app.worker import CheckResult


def spans(window):
    return sorted((s.cursor.selectionStart(), s.cursor.selectionEnd()) for s in window.editor.extraSelections())


def issue_spans(window):
    return sorted((i.start, i.end) for i in window.layer.issues)


def expected_spans(text, edits):
    return sorted((utf16_offset(text, e.start), utf16_offset(text, e.end)) for e in edits)


def test_the_fixture_model_makes_the_corrections_it_learned(corrector):
    assert corrector.correct(DOCUMENT).corrected == learned_correction(DOCUMENT) != DOCUMENT


def test_underlines_land_on_the_engines_spans_in_utf16(window, qtbot, corrector):
    result = check(qtbot, window, DOCUMENT)
    expected = corrector.correct(DOCUMENT)
    assert result.correction == expected and len(expected.edits) >= 8
    assert "😀" in DOCUMENT[:expected.edits[0].start]  # an astral character shifts UTF-16 positions
    assert utf16_offset(DOCUMENT, expected.edits[0].start) == expected.edits[0].start + 1
    assert issue_spans(window) == expected_spans(DOCUMENT, expected.edits)
    insertions = 0
    for selection, edit in zip(window.editor.extraSelections(), expected.edits, strict=True):
        start, end = utf16_offset(DOCUMENT, edit.start), utf16_offset(DOCUMENT, edit.end)
        if edit.original:
            assert (selection.cursor.selectionStart(), selection.cursor.selectionEnd()) == (start, end)
            assert selection.cursor.selectedText() == edit.original
        else:  # nothing to underline at an insertion point: its neighbouring character is underlined
            insertions += 1
            assert selection.cursor.selectionEnd() - selection.cursor.selectionStart() == 1
            assert start in (selection.cursor.selectionStart(), selection.cursor.selectionEnd())
        assert selection.format.underlineStyle() == QTextCharFormat.UnderlineStyle.SpellCheckUnderline
        assert selection.format.underlineColor() == kind_color(edit.kind)
    assert insertions >= 1
    document = window.editor.document()
    assert document.toRawText().replace("\u2029", "\n") == DOCUMENT
    assert window.status_labels["issues"].text().endswith(str(len(expected.edits)))


def test_accept_fixes_the_text_and_is_undoable(window, qtbot):
    check(qtbot, window, DOCUMENT)
    issue = window.layer.issues[1]
    edit = issue.edit
    assert window.accept_issue(issue)
    assert window.editor.plain_text() == apply_edits(DOCUMENT, [edit])
    assert issue not in window.layer.issues
    window.undo()
    assert window.editor.plain_text() == DOCUMENT


def test_accept_all_is_one_undo_step(window, qtbot, corrector):
    check(qtbot, window, DOCUMENT)
    document = window.editor.document()
    assert not document.isUndoAvailable()  # a freshly loaded document
    assert window.accept_all() == len(corrector.correct(DOCUMENT).edits)
    assert window.editor.plain_text() == corrector.correct(DOCUMENT).corrected and not window.layer.issues
    window.undo()
    assert window.editor.plain_text() == DOCUMENT
    assert not document.isUndoAvailable()  # ... so one undo took back every edit
    window.redo()
    assert window.editor.plain_text() == corrector.correct(DOCUMENT).corrected


def test_accept_all_keeps_a_full_stop_inserted_right_after_a_fixed_word(window, qtbot, corrector):
    check(qtbot, window, FULL_STOP_AFTER_A_FIX)
    expected = corrector.correct(FULL_STOP_AFTER_A_FIX)
    word, stop = expected.edits
    assert word.end == stop.start == stop.end and stop.replacement == "."
    assert window.accept_all() == 2
    assert window.editor.plain_text() == expected.corrected


def test_accept_all_of_one_kind_leaves_the_others(window, qtbot, corrector):
    check(qtbot, window, DOCUMENT)
    edits = corrector.correct(DOCUMENT).edits
    hamza = [e for e in edits if e.kind == "hamza"]
    assert hamza and len(hamza) < len(edits)
    assert window.accept_all(("hamza",)) == len(hamza)
    assert window.editor.plain_text() == apply_edits(DOCUMENT, hamza)
    assert [i.edit for i in window.layer.issues] == [e for e in edits if e.kind != "hamza"]


def test_stale_results_are_dropped(window, qtbot, corrector):
    check(qtbot, window, DOCUMENT)
    old_revision = window.controller.revision
    window.editor.textCursor().insertText("س")  # the document moves on
    before = list(window.layer.issues)
    stale_text = SPACING
    stale = CheckResult(old_revision, stale_text, corrector.correct(stale_text), 0.0, 0)
    assert stale.correction.edits  # it would underline something if it were shown
    with qtbot.assertNotEmitted(window.checked, wait=50):
        window.controller.worker.checked.emit(stale)
    assert window.layer.issues == before and len(window.editor.extraSelections()) == len(before)
    assert not any(i.kind == "spacing" for i in window.layer.issues)  # the stale text's fix is not shown


def test_checking_while_typing_shows_the_latest_revision(make_window, qtbot, corrector):
    from nahawi_app.settings import AppSettings

    window = make_window(settings=AppSettings(check_while_typing=True, delay_ms=20))
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    check(qtbot, window, DOCUMENT)
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    cursor.insertText("\n" + SPACING)
    with qtbot.waitSignal(window.checked, timeout=20000) as blocker:
        pass  # checking while typing: the debounce fires by itself
    text = window.editor.plain_text()
    assert blocker.args[0].revision == window.controller.revision
    assert issue_spans(window) == expected_spans(text, corrector.correct(text).edits)
    new_line = len(DOCUMENT) + 2  # UTF-16: DOCUMENT holds two emoji
    assert any(i.kind == "spacing" and i.start > new_line for i in window.layer.issues)  # the new line's fix


def test_only_changed_sentences_reach_the_model(window, qtbot):
    check(qtbot, window, DOCUMENT)
    assert check(qtbot, window).decoded == 0  # nothing changed: every sentence comes from the cache
    cursor = window.editor.textCursor()
    cursor.setPosition(window.editor.plain_text().index("سطر بلا"))
    cursor.insertText("هذا ")
    result = check(qtbot, window)
    assert result.decoded == 1  # only the edited sentence went through the model


def test_underlines_follow_the_text_while_typing_before_them(window, qtbot):
    check(qtbot, window, DOCUMENT)
    before = issue_spans(window)
    cursor = window.editor.textCursor()
    cursor.setPosition(0)
    cursor.insertText("مقدمة. ")
    assert issue_spans(window) == [(start + 7, end + 7) for start, end in before]
    assert all(i.is_intact() for i in window.layer.issues)


def test_editing_an_underlined_word_removes_its_underline(window, qtbot):
    check(qtbot, window, DOCUMENT)
    issue = window.layer.issues[0]
    count = len(window.layer.issues)
    cursor = window.editor.textCursor()
    cursor.setPosition(issue.start + 1)
    cursor.insertText("ا")
    assert issue not in window.layer.issues and len(window.layer.issues) == count - 1


def test_f8_walks_the_issues_and_wraps(window, qtbot):
    check(qtbot, window, DOCUMENT)
    ordered = sorted(window.layer.issues, key=lambda i: i.start)
    assert window.actions_["next_issue"].shortcut().toString() == "F8"
    assert window.actions_["prev_issue"].shortcut().toString() == "Shift+F8"
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.Start)
    seen = []
    for _ in range(len(ordered) + 1):
        window.actions_["next_issue"].trigger()
        seen.append(window.layer.current)
    assert seen == [*ordered, ordered[0]]
    assert window.editor.textCursor().selectedText() == ordered[0].edit.original
    window.actions_["prev_issue"].trigger()
    assert window.layer.current is ordered[-1]
    assert window.card.isVisible() and window.card.issue is ordered[-1]


def test_clicking_an_underline_shows_the_card_in_arabic_and_accept_works(window, qtbot):
    check(qtbot, window, DOCUMENT)
    issue = next(i for i in window.layer.issues if i.kind == "ta_marbuta")
    cursor = QTextCursor(window.editor.document())
    cursor.setPosition(issue.start + 2)
    rect = window.editor.cursorRect(cursor)
    qtbot.mouseClick(window.editor.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.card.isVisible() and window.card.issue is issue
    assert KINDS["ta_marbuta"].name_ar in window.card.kind_label.text()
    assert window.card.explanation.text() == KINDS["ta_marbuta"].explain_ar
    assert issue.edit.replacement in window.card.suggestion.text()
    qtbot.mouseClick(window.card.accept_button, Qt.MouseButton.LeftButton)
    assert not window.card.isVisible()
    assert window.editor.plain_text() == apply_edits(DOCUMENT, [issue.edit])


def test_ignore_hides_one_occurrence_until_its_text_changes(window, qtbot):
    check(qtbot, window, DOCUMENT)
    issue = window.layer.issues[0]
    window.show_card(issue)
    qtbot.mouseClick(window.card.ignore_button, Qt.MouseButton.LeftButton)
    assert issue not in window.layer.issues
    check(qtbot, window)
    assert (issue.start, issue.end) not in issue_spans(window)


def test_dictionary_and_disabled_kinds_persist_and_filter(window, qtbot, tmp_path):
    from nahawi_app.settings import SettingsStore

    check(qtbot, window, DOCUMENT)
    word_issue = next(i for i in window.layer.issues if i.edit.original == "مصطفي")
    window.add_to_dictionary(word_issue)
    window.disable_kind("hamza")
    assert not any(i.edit.original == "مصطفي" or i.kind == "hamza" for i in window.layer.issues)
    check(qtbot, window)
    assert not any(i.edit.original == "مصطفي" or i.kind == "hamza" for i in window.layer.issues)
    saved = SettingsStore(tmp_path / "settings.ini").load()
    assert "مصطفي" in saved.dictionary and "hamza" not in saved.enabled_kinds
    window.apply_settings(dataclasses.replace(window.settings, enabled_kinds=saved.enabled_kinds + ("hamza",)))
    qtbot.waitUntil(lambda: any(i.kind == "hamza" for i in window.layer.issues), timeout=20000)


def test_panel_lists_issues_and_clicking_jumps(window, qtbot):
    check(qtbot, window, DOCUMENT)
    panel = window.panel
    assert panel.list.count() == len(window.layer.issues)
    item = panel.list.item(2)
    rect = panel.list.visualItemRect(item)
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    target = panel.issues[2]
    assert window.layer.current is target
    assert window.editor.textCursor().selectedText() == target.edit.original
    panel.kind_choice.setCurrentIndex(panel.kind_choice.findData("alif_maqsura"))
    count = sum(1 for i in window.layer.issues if i.kind == "alif_maqsura")
    qtbot.mouseClick(panel.accept_kind_button, Qt.MouseButton.LeftButton)
    assert not any(i.kind == "alif_maqsura" for i in window.layer.issues) and count == 2


def test_results_without_edits_clear_the_underlines(window, qtbot):
    check(qtbot, window, DOCUMENT)
    assert window.layer.issues
    empty = Correction(window.editor.plain_text(), window.editor.plain_text(), ())
    window.controller.worker.checked.emit(CheckResult(window.controller.revision, empty.source, empty, 0.0, 0))
    assert not window.layer.issues and not window.editor.extraSelections()


def test_resting_the_mouse_on_an_underline_shows_its_card(window, qtbot):
    check(qtbot, window, DOCUMENT)
    issue = next(i for i in window.layer.issues if i.kind == "letter_confusion")
    cursor = QTextCursor(window.editor.document())
    cursor.setPosition(issue.start + 2)
    qtbot.mouseMove(window.editor.viewport(), QPoint(1, 1))  # Qt sends no move to where an earlier test left the mouse
    qtbot.mouseMove(window.editor.viewport(), window.editor.cursorRect(cursor).center())
    qtbot.waitUntil(lambda: window.card.isVisible(), timeout=3000)
    assert window.card.issue is issue
    assert KINDS["letter_confusion"].name_ar in window.card.kind_label.text()
    qtbot.mouseClick(window.card.disable_button, Qt.MouseButton.LeftButton)
    assert "letter_confusion" not in window.settings.enabled_kinds
    assert not any(i.kind == "letter_confusion" for i in window.layer.issues)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12: its count never drains")
def test_a_long_session_does_not_drain_the_reference_count_of_none(window, qtbot):
    """PySide6 6.12.0 on Python 3.11 takes a reference to None from every call of a method that returns
    nothing; an editing session makes thousands, and the app aborted ('none_dealloc') on the third check
    of a 2,000-word document. pyproject keeps that release out; this test keeps it out for good."""
    document = "\n".join([DOCUMENT] * 40)
    check(qtbot, window, document.replace("الصباح", "المساء"))  # warm-up: caches filled once
    gc.collect()  # garbage of earlier tests freed now, not counted as a drain (it failed so in a full run)
    start = sys.getrefcount(None)
    for round_ in range(4):
        check(qtbot, window, document if round_ % 2 == 0 else document.replace("الصباح", "المساء"))
        window.editor.viewport().update()
    gc.collect()
    assert sys.getrefcount(None) > start - 1000


def test_underlines_survive_undoing_typing_that_turned_their_paragraph_ltr(window, qtbot):
    """Qt reports an undone edit block (typing + the paragraph's new direction) as one range over the whole
    paragraph; the issues in it are found where they still are, not dropped."""
    check(qtbot, window, DOCUMENT)
    before = issue_spans(window)
    editor = window.editor
    editor.setFocus()
    cursor = editor.textCursor()
    cursor.setPosition(0)
    editor.setTextCursor(cursor)
    qtbot.keyClicks(editor, "Hi ")
    qtbot.waitUntil(lambda: editor.document().begin().textDirection() == Qt.LayoutDirection.LeftToRight)
    assert issue_spans(window) == [(start + 3, end + 3) for start, end in before]
    while editor.document().isUndoAvailable():
        editor.undo()
    assert editor.plain_text() == DOCUMENT and issue_spans(window) == before
    assert all(i.is_intact() for i in window.layer.issues)


def test_turning_the_punctuation_kind_off_stops_its_model_not_only_its_marks(make_window, qtbot, monkeypatch):
    """With punctuation turned off every check still ran the punctuation model on the whole document (issue 13:
    on a 5 MB file a stage of its own), only to hide its marks. On the shipped model, which has one."""
    from nahawi.engine import Corrector, CorrectorOptions
    from nahawi.engine import stages as stages_module
    from nahawi.engine.corrector import DEFAULT_MODEL_DIR

    if not (DEFAULT_MODEL_DIR / "model.json").is_file():
        pytest.skip("the shipped model is not installed")
    runs, real = [], stages_module.punctuation_edits
    monkeypatch.setattr(stages_module, "punctuation_edits", lambda *args: runs.append(args[0]) or real(*args))
    window = make_window(engine=lambda: Corrector.from_dir(None, device="cpu", options=CorrectorOptions(threads=1)))
    qtbot.waitUntil(lambda: window.info is not None, timeout=30000)
    check(qtbot, window, "ذهبت الى السوق ثم عدت الى البيت وقال ان الجو جميل اليوم ثم نام")
    mark = next(i for i in window.layer.issues if i.kind == "punctuation")
    others = [i.edit for i in window.layer.issues if i.kind != "punctuation"]
    assert runs and others
    runs.clear()
    window.show_card(mark)
    with qtbot.waitSignal(window.checked, timeout=20000):
        qtbot.mouseClick(window.card.disable_button, Qt.MouseButton.LeftButton)  # "turn this kind off"
    assert "punctuation" not in window.settings.enabled_kinds and not runs
    assert [i.edit for i in window.layer.issues] == others
