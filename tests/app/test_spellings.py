"""Several suggestions for one word (issue 13): where the engine's lexicon knows other spellings of a word it
corrects (`nahawi.alternatives`, the language server's extra quick fixes), the card and the right-click menu
offer them after the engine's own, each one click to put in place. A real engine on a model directory with
a real lexicon, the real window, real clicks."""
from __future__ import annotations

import json
import shutil

import pytest
from app_helpers import check
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent, QTextCursor
from PySide6.QtWidgets import QApplication
from test_interface import when_shown

from nahawi.lexicon import save_lexicon
from nahawi.model_dir import LEXICON_FILE, file_record

TEXT = "قال المدير ان الاجتماع قريب"
# «ان» may be أن, إن or آن: the lexicon fixes it to the most frequent and knows the other two.
COUNTS = {"أن": 900, "إن": 300, "آن": 40, "ان": 2, "قال": 500, "المدير": 100, "الاجتماع": 100, "قريب": 100}


@pytest.fixture(scope="module")
def lexicon_model_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model directory with a lexicon; its policy shows the lexicon's edits only (no decoding)."""
    model = tmp_path_factory.mktemp("spellings") / "model"
    shutil.copytree(tiny_model_dir, model)
    save_lexicon(model / LEXICON_FILE, COUNTS)
    document = json.loads((model / "model.json").read_text(encoding="utf-8"))
    document["files"][LEXICON_FILE] = file_record(model / LEXICON_FILE)
    document["policy"] = {"kinds": []}
    (model / "model.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return model


@pytest.fixture
def spelling_window(make_window, qtbot, lexicon_model_dir):
    from nahawi.engine import Corrector, CorrectorOptions

    window = make_window(engine=lambda: Corrector.from_dir(lexicon_model_dir, device="cpu",
                                                             options=CorrectorOptions(threads=1)))
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    check(qtbot, window, TEXT)
    return window


def _issue(window):
    [issue] = [i for i in window.layer.issues if i.edit.original == "ان"]
    assert issue.edit.replacement == "أن"
    return issue


def test_the_card_offers_every_spelling_and_the_second_click_puts_the_second_in_place(spelling_window, qtbot):
    window = spelling_window
    window.show_card(_issue(window))
    buttons = [b for b in window.card.choice_buttons if b.isVisible()]
    assert [b.text() for b in buttons] == ["أن", "إن", "آن"]  # the engine's first, then by frequency
    qtbot.mouseClick(buttons[1], Qt.MouseButton.LeftButton)
    assert window.editor.plain_text() == "قال المدير إن الاجتماع قريب"
    assert not window.card.isVisible() and not window.layer.issues
    window.undo()  # one undo step restores the word
    assert window.editor.plain_text() == TEXT


def test_the_first_spelling_on_the_card_is_the_engines_suggestion(spelling_window, qtbot):
    window = spelling_window
    window.show_card(_issue(window))
    qtbot.mouseClick(window.card.choice_buttons[0], Qt.MouseButton.LeftButton)
    assert window.editor.plain_text() == "قال المدير أن الاجتماع قريب"


def test_a_word_with_one_suggestion_shows_no_spelling_buttons(window, qtbot):
    check(qtbot, window, "كانت السماء صافيه والجو جميلا في الربيع")  # the trained model, no lexicon
    [issue] = window.layer.issues
    window.show_card(issue)
    assert not any(b.isVisible() for b in window.card.choice_buttons)
    assert window.card.accept_button.isVisible()


def test_the_right_click_menu_offers_the_other_spellings_after_the_suggestion(spelling_window, qtbot):
    window = spelling_window
    issue = _issue(window)
    cursor = QTextCursor(window.editor.document())
    cursor.setPosition(issue.start + 1)
    point = window.editor.cursorRect(cursor).center()

    def look(menu):
        texts = [a.text() for a in menu.actions()]
        menu.actions()[2].trigger()
        menu.close()
        return texts
    seen = when_shown(qtbot, look, popup=True)
    viewport = window.editor.viewport()
    QApplication.sendEvent(viewport, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point,
                                                       viewport.mapToGlobal(point)))
    qtbot.waitUntil(lambda: bool(seen))
    assert seen[0][:3] == ["أن", "إن", "آن"]
    assert window.editor.plain_text() == "قال المدير آن الاجتماع قريب"
