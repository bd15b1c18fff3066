"""The editor and the shared profile (issue 17), in the real window on the trained tiny model: the writer
turns recording their decisions off from the Check menu (kept in the profile, so the language server and
the CLI stop too, and nothing reaches the log), and a word the language server or the CLI adds to the
profile's dictionary while the editor is open loses its underline."""
from __future__ import annotations

import json

from app_helpers import DOCUMENT, check
from PySide6.QtCore import QPoint, Qt
from typer.testing import CliRunner

from nahawi.cli import app
from nahawi.profile import Profile, read_decisions
from nahawi.profile.store import DECISIONS, DICTIONARY, SETTINGS
from nahawi_app.settings import AppSettings


def _issue(window, original):
    return next((i for i in window.layer.issues if i.edit.original == original), None)


def _click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _open_check_menu(window):
    """Open the Check menu as the writer does (its check marks are refreshed as it opens), then close it."""
    menu = window.actions_.menus["check"]
    menu.popup(window.mapToGlobal(QPoint(10, 10)))
    menu.hide()


def test_turning_recording_off_writes_nothing_to_the_log(window, qtbot):
    check(qtbot, window, DOCUMENT)
    action = window.actions_["record_decisions"]
    assert action.isCheckable() and action.isChecked()  # on unless the writer turns it off
    action.trigger()
    assert not action.isChecked()
    settings = window.profile.file(SETTINGS)
    assert json.loads(settings.read_text(encoding="utf-8")) == {"record_decisions": False}
    assert Profile(window.profile.path).records_decisions() is False  # what the server and the CLI read
    window.show_card(_issue(window, "مصطفي"))
    _click(qtbot, window.card.accept_button)
    window.show_card(_issue(window, "علي"))
    _click(qtbot, window.card.ignore_button)
    assert not window.profile.file(DECISIONS).exists()
    action.trigger()
    window.show_card(_issue(window, "الى"))
    _click(qtbot, window.card.ignore_button)
    assert [(d.original, d.decision) for d in read_decisions(window.profile.file(DECISIONS))] == [("الى", "ignored")]


def test_the_check_mark_follows_a_change_made_by_the_cli(window, qtbot):
    action = window.actions_["record_decisions"]
    result = CliRunner().invoke(app, ["adapt", "--profile", str(window.profile.path), "--no-record-decisions"])
    assert result.exit_code == 0 and "recording decisions: off" in result.output
    assert action.isChecked()  # not looked at yet
    _open_check_menu(window)
    assert not action.isChecked()


def test_a_broken_settings_file_records_nothing_and_says_why(window, qtbot):
    check(qtbot, window, DOCUMENT)
    window.profile.ensure()
    window.profile.file(SETTINGS).write_text('{"record_decisions": "no"}', encoding="utf-8")
    _open_check_menu(window)
    assert not window.actions_["record_decisions"].isChecked()
    window.show_card(_issue(window, "علي"))
    _click(qtbot, window.card.ignore_button)
    assert not window.profile.file(DECISIONS).exists()
    assert "record_decisions: expected true or false" in window.statusBar().currentMessage()


def test_the_action_speaks_the_interface_language(make_window):
    arabic = make_window(settings=AppSettings(check_while_typing=False, language="ar"))
    assert arabic.actions_["record_decisions"].text() == "سجّل ما أقبله وما أتجاهله من اقتراحات"
    english = make_window(settings=AppSettings(check_while_typing=False, language="en"))
    assert english.actions_["record_decisions"].text() == "Record the suggestions I accept and ignore"


def test_a_word_added_to_the_profile_from_outside_loses_its_underline(window, qtbot):
    """The language server adds a word (the profile's atomic write); a hand edit appends one in place;
    a word taken out of the dictionary is underlined again."""
    check(qtbot, window, DOCUMENT)
    assert _issue(window, "مصطفي") is not None and _issue(window, "علي") is not None
    outside = Profile(window.profile.path)
    outside.add_word("مصطفي")
    qtbot.waitUntil(lambda: _issue(window, "مصطفي") is None, timeout=10000)
    assert _issue(window, "علي") is not None and "مصطفي" in window.settings.dictionary
    with open(outside.file(DICTIONARY), "a", encoding="utf-8") as handle:
        handle.write("علي\n")
    qtbot.waitUntil(lambda: _issue(window, "علي") is None, timeout=10000)
    outside.update_dictionary(remove=["مصطفي"])
    qtbot.waitUntil(lambda: _issue(window, "مصطفي") is not None, timeout=20000)
    assert _issue(window, "علي") is None
