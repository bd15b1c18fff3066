"""The editor widget and the window around it: paragraph directions, find/replace, zoom, settings,
interface language, a model that fails to load, and the import boundaries of the app package."""
from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo

from nahawi_app.editor import pick_families, strong_direction
from nahawi_app.settings import AppSettings, SettingsDialog, SettingsStore
from nahawi_app.strings import Strings

RTL, LTR = Qt.LayoutDirection.RightToLeft, Qt.LayoutDirection.LeftToRight


def directions(editor):
    block, out = editor.document().begin(), []
    while block.isValid():
        out.append(block.textDirection())  # as laid out: its own format, else the document's default
        block = block.next()
    return out


def test_paragraph_direction_follows_the_first_strong_character(window):
    window.editor.load_text("مرحبا بكم\nHello مرحبا\n\n123 ،\n«مرحبا» hi\n(English) نص")
    assert directions(window.editor) == [RTL, LTR, RTL, RTL, RTL, LTR]
    assert strong_direction("  ١٢٣ 😀 abc") == LTR and strong_direction("...") is None


def test_opening_formats_only_the_paragraphs_against_the_majority_direction(window):
    """Opening a 5 MB file set a direction on every paragraph, one by one (seconds of frozen window): the
    document's default is now its majority's direction and only the other paragraphs carry their own."""
    def own_formats(editor):
        block, out = editor.document().begin(), []
        while block.isValid():
            out.append(block.blockFormat().layoutDirection())
            block = block.next()
        return out

    auto = Qt.LayoutDirection.LayoutDirectionAuto
    window.editor.load_text("مرحبا بكم\nسطر ثان\n\nHello there\n١٢٣")
    assert directions(window.editor) == [RTL, RTL, RTL, LTR, RTL]
    assert own_formats(window.editor) == [auto, auto, auto, LTR, auto]
    window.editor.load_text("One\nTwo\n\nمرحبا\nThree")
    assert directions(window.editor) == [LTR, LTR, LTR, RTL, LTR]
    assert own_formats(window.editor) == [auto, auto, auto, RTL, auto]
    window.editor.load_text("")
    assert directions(window.editor) == [RTL]  # a new document is Arabic


def test_typing_english_turns_a_paragraph_ltr_and_undo_restores_both(window, qtbot):
    editor = window.editor
    editor.load_text("سطر عربي\n")
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    qtbot.keyClicks(editor, "Hello")
    qtbot.waitUntil(lambda: directions(editor)[-1] == LTR)
    assert editor.plain_text() == "سطر عربي\nHello"
    while editor.document().isUndoAvailable():
        editor.undo()
    assert editor.plain_text() == "سطر عربي\n" and directions(editor) == [RTL, RTL]
    assert editor.document().isRedoAvailable()  # fixing directions never cut the redo history
    while editor.document().isRedoAvailable():
        editor.redo()
    assert editor.plain_text() == "سطر عربي\nHello" and directions(editor) == [RTL, LTR]


def test_an_arabic_font_is_chosen_with_fallbacks(window):
    families = pick_families()
    assert families and window.editor.document().defaultFont().families()[:len(families)] == families
    assert QFontInfo(window.editor.document().defaultFont()).family()


def test_zoom_changes_the_font_and_is_remembered(window, tmp_path):
    size = window.editor.document().defaultFont().pointSize()
    window.zoom_in()
    window.zoom_in()
    assert window.editor.document().defaultFont().pointSize() == size + 2
    assert SettingsStore(tmp_path / "settings.ini").load().zoom == 2
    window.zoom_reset()
    assert window.editor.document().defaultFont().pointSize() == size


def test_find_and_replace_all_is_one_undo_step(window):
    window.editor.load_text("الى البيت ثم الى السوق ثم الى المدرسة")
    bar = window.find_bar
    window.show_find()
    assert bar.isVisible()
    bar.find_edit.setText("الى")
    assert bar.find_next() and window.editor.textCursor().selectedText() == "الى"
    bar.replace_edit.setText("إلى")
    assert bar.replace_all() == 3
    assert window.editor.plain_text() == "إلى البيت ثم إلى السوق ثم إلى المدرسة"
    window.undo()
    assert window.editor.plain_text() == "الى البيت ثم الى السوق ثم الى المدرسة"
    bar.find_edit.setText("غير موجود")
    assert not bar.find_next() and bar.message.text() == Strings("ar")("find_none")


def test_settings_round_trip_through_qsettings(tmp_path):
    store = SettingsStore(tmp_path / "s.ini")
    assert store.load() == AppSettings()
    custom = AppSettings(enabled_kinds=("hamza",), check_while_typing=False, delay_ms=400, min_confidence=0.35,
                         model_dir="/models/x", strict=True, latin_marks=True, language="en", zoom=3,
                         recent_files=("/a.txt",),
                         dictionary=("مصطفي", "ان"))
    store.save(custom)
    assert SettingsStore(tmp_path / "s.ini").load() == custom
    (tmp_path / "bad.ini").write_text("[check]\ndelay_ms=lots\nmin_confidence=7\n[ui]\nlanguage=fr\n")
    assert SettingsStore(tmp_path / "bad.ini").load() == dataclasses.replace(AppSettings(), min_confidence=1.0)


def test_settings_dialog_edits_a_copy(qtbot):
    dialog = SettingsDialog(AppSettings(), Strings("en"))
    qtbot.addWidget(dialog)
    dialog.fields.kinds["spacing"].setChecked(False)
    dialog.fields.while_typing.setChecked(False)
    dialog.fields.confidence.setValue(0.5)
    dialog.fields.strict.setChecked(True)
    dialog.fields.latin_marks.setChecked(True)
    dialog.fields.language.setCurrentIndex(1)
    dialog.fields.dictionary.setPlainText("كلمة\n\n  أخرى ")
    result = dialog.result_settings()
    assert "spacing" not in result.enabled_kinds and not result.check_while_typing
    assert result.min_confidence == 0.5 and result.language == "en" and result.dictionary == ("كلمة", "أخرى")
    assert result.strict and result.latin_marks


def test_strict_and_learner_are_one_choice_in_the_settings(qtbot, tmp_path):
    """Two policies of the model, one at a time: ticking one (a real Space key on the focused box) clears the
    other, and the choice is saved and read back."""
    dialog = SettingsDialog(AppSettings(strict=True), Strings("ar"))
    qtbot.addWidget(dialog)
    learner, strict = dialog.fields.learner, dialog.fields.strict
    assert learner.text() == Strings("ar")("set_learner") and not learner.isChecked()
    learner.setFocus()
    qtbot.keyClick(learner, Qt.Key.Key_Space)
    assert learner.isChecked() and not strict.isChecked()
    result = dialog.result_settings()
    assert result.learner and not result.strict
    store = SettingsStore(tmp_path / "s.ini")
    store.save(result)
    assert store.load().learner
    qtbot.keyClick(strict, Qt.Key.Key_Space)
    assert strict.isChecked() and not learner.isChecked()


def test_switching_the_interface_to_english(window):
    assert window.actions_.menus["file"].title() == "&ملف" and window.layoutDirection() == RTL
    window.apply_settings(dataclasses.replace(window.settings, language="en"))
    assert window.actions_.menus["file"].title() == "&File" and window.layoutDirection() == LTR
    assert window.actions_["next_issue"].text() == "Next issue"
    assert window.editor.layoutDirection() == RTL  # the text stays right-to-left by default
    assert window.status_labels["device"].text() == "CPU"


def test_a_model_that_fails_to_load_leaves_a_working_editor(make_window, qtbot, tmp_path, trained_model_dir):
    settings = AppSettings(model_dir=str(tmp_path / "no-such-model"), check_while_typing=True, delay_ms=10)
    window = make_window(engine=None, settings=settings)
    qtbot.waitUntil(lambda: window.notices.text("model") is not None, timeout=20000)
    message = window.notices.text("model")
    assert "تعذّر تحميل نموذج التدقيق" in message and "no-such-model" in message
    assert window.controller.state == "no_model"
    assert window.status_labels["model"].text() == Strings("ar")("status_no_model")
    qtbot.keyClicks(window.editor, "abc")
    qtbot.wait(50)
    assert window.editor.plain_text() == "abc" and not window.layer.issues
    assert window.save_to(tmp_path / "kept.txt") and (tmp_path / "kept.txt").read_text() == "abc"
    window.apply_settings(dataclasses.replace(window.settings, model_dir=str(trained_model_dir)))  # fixed in Settings
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    assert window.notices.text("model") is None
    assert window.status_labels["model"].text() == window.strings("status_model", name=trained_model_dir.name)


def test_latin_marks_setting_reloads_the_engine_and_keeps_the_writers_commas(make_window, qtbot):
    """The shipped model turns a Latin comma between Arabic words into «،»; with the Latin-marks setting the
    comma is no issue any more, and the other findings stay."""
    from app_helpers import check

    window = make_window(engine=None, settings=AppSettings(check_while_typing=False))
    qtbot.waitUntil(lambda: window.info is not None, timeout=30000)
    text = "كتبت الرسالة, ثم ذهبت الى البيت"
    comma = text.index(",")
    arabic = check(qtbot, window, text).correction.edits
    assert [(e.original, e.replacement) for e in arabic if e.start == comma] == [(",", "،")]
    window.apply_settings(dataclasses.replace(window.settings, latin_marks=True))
    qtbot.waitUntil(lambda: window.controller.info is not None, timeout=30000)
    latin = check(qtbot, window).correction.edits
    assert not [e for e in latin if e.start == comma]
    assert [e for e in latin if e.kind != "punctuation"] == [e for e in arabic if e.kind != "punctuation"] != []
    assert window.store.load().latin_marks


def test_learner_setting_reloads_the_engine_and_underlines_the_seq2seqs_corrections_too(make_window, qtbot):
    """With "I am learning Arabic" the shipped model's learner policy runs its seq2seq: a learner's «كانو» is
    underlined («كانوا»), and every finding of the default policy stays."""
    from app_helpers import check

    window = make_window(engine=None, settings=AppSettings(check_while_typing=False))
    qtbot.waitUntil(lambda: window.info is not None, timeout=30000)
    text = "الطلاب كانو في المدرسة و المسؤل عنهم غائب"
    native = check(qtbot, window, text).correction.edits
    assert not [e for e in native if e.original == "كانو"]
    window.apply_settings(dataclasses.replace(window.settings, learner=True))
    qtbot.waitUntil(lambda: window.controller.info is not None, timeout=30000)
    learner = check(qtbot, window).correction.edits
    assert [(e.replacement, e.rule_id) for e in learner if e.original == "كانو"] == [("كانوا", "model")]
    assert set(native) < set(learner)
    assert window.store.load().learner


def imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
    return names


def test_the_app_never_imports_the_language_server_and_the_core_stays_qt_free():
    root = Path(__file__).resolve().parents[2]
    for path in (root / "nahawi_app").glob("*.py"):
        assert not any(name.startswith("lsp_server") for name in imported_modules(path)), path
    for path in (root / "nahawi").rglob("*.py"):
        assert not any(name.startswith("PySide6") for name in imported_modules(path)), path


FONTLESS = """
import json, os, sys
from pathlib import Path
from PySide6.QtGui import QFontDatabase, QFontInfo, QFontMetrics
from PySide6.QtWidgets import QApplication
app = QApplication([])
import nahawi_app.editor as editor_module
folder = Path(sys.argv[2])
if sys.argv[1] == "without-the-bundled-font":
    editor_module.BUNDLED_FONTS = folder / "no-fonts"  # a package whose font files are missing
from nahawi_app.settings import AppSettings, SettingsStore
from nahawi_app.window import MainWindow
window = MainWindow(SettingsStore(folder / "s.ini"), data_dir=folder / "data", offer_recovery=False,
                    settings=AppSettings(check_while_typing=False, model_dir=str(folder / "no-model")))
window.show()
app.processEvents()  # what the window's own changes to the application's font post
font = window.editor.document().defaultFont()
arabic = QFontDatabase.WritingSystem.Arabic
print(json.dumps({"arabic_families": [f for f in QFontDatabase.families() if arabic in QFontDatabase.writingSystems(f)],
                  "editor": QFontInfo(font).family(), "beh": QFontMetrics(font).inFontUcs4(ord("ب")),
                  "families": font.families(), "size": font.pointSize(),
                  "application": QApplication.font().families(), "notice": window.notices.text("font")}))
sys.stdout.flush()
os._exit(0)
"""


def run_without_system_fonts(tmp_path, case: str) -> dict:
    """FONTLESS in a process whose fontconfig knows no font at all (no system Arabic font, as on a bare
    system: this machine's DejaVu Sans has Arabic letters)."""
    import json
    import os
    import subprocess
    import sys

    (tmp_path / "fonts").mkdir()
    config = tmp_path / "fonts.conf"
    config.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                      f'<dir>{tmp_path / "fonts"}</dir><cachedir>{tmp_path / "cache"}</cachedir></fontconfig>')
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FONTCONFIG_FILE": str(config),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", FONTLESS, case, str(tmp_path)], env=env, capture_output=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def test_the_bundled_arabic_font_is_used_when_the_system_has_none(tmp_path):
    """With no Arabic font on the system the whole window was boxes, with no warning: the editor, the menus,
    the panel and the card must draw with the font the package ships. The first window of a process (the
    app's only one) also lost its editor font to the application's, once the window added its fallback."""
    from nahawi_app.editor import BASE_POINT_SIZE, BUNDLED_FAMILY

    seen = run_without_system_fonts(tmp_path, "as-shipped")
    assert seen["arabic_families"] == [BUNDLED_FAMILY]  # the system has none: only the package's
    assert seen["editor"] == BUNDLED_FAMILY and seen["beh"]
    assert seen["families"][0] == BUNDLED_FAMILY and seen["size"] == BASE_POINT_SIZE
    assert BUNDLED_FAMILY in seen["application"]  # menus, dialogs, panel and card fall back to it
    assert seen["notice"] is None


def test_the_bundled_arabic_font_is_used(window):
    """Where the system has Arabic fonts of its own, the shipped one still comes first."""
    from PySide6.QtGui import QFontDatabase, QFontMetrics
    from PySide6.QtWidgets import QApplication

    from nahawi_app.editor import BUNDLED_FAMILY, bundled_families

    assert bundled_families() == [BUNDLED_FAMILY]
    font = window.editor.document().defaultFont()
    assert font.families()[0] == BUNDLED_FAMILY and QFontInfo(font).family() == BUNDLED_FAMILY
    assert QFontDatabase.WritingSystem.Arabic in QFontDatabase.writingSystems(BUNDLED_FAMILY)
    assert QFontMetrics(font).inFontUcs4(ord("ب")) and QFontMetrics(font).inFontUcs4(ord("ﻻ"))
    assert BUNDLED_FAMILY in QApplication.font().families()
    assert window.notices.text("font") is None


def test_no_arabic_font_at_all_is_said_not_shown_as_boxes(tmp_path):
    """Neither the system nor the package has one (its font files missing): the window says so."""
    seen = run_without_system_fonts(tmp_path, "without-the-bundled-font")
    assert seen["arabic_families"] == [] and not seen["beh"]
    assert "خط عربي" in seen["notice"]
