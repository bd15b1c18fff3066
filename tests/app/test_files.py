"""Files through the real window: exact round trips, line-ending styles, refusing non-UTF-8, atomic saves,
the unsaved-changes prompt, and autosave recovery after a real crash (a child process that dies)."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nahawi_app.files import (
    AutosaveStore,
    EncodingProblem,
    LoadedText,
    decode_as,
    encode_for_save,
    guess_encoding,
    read_text_file,
    save_atomic,
)

ARABIC = "قال المديـــر: «مرحبًا» 😀\u00a0والسلام،\tنهاية"  # tatweel, tanwin, emoji, no-break space, tab
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("bom", [False, True])
def test_save_and_reopen_round_trips_the_exact_bytes(window, tmp_path, newline, bom):
    body = newline.join([ARABIC, "", "English line", "سطر أخير"]) + newline
    data = (b"\xef\xbb\xbf" if bom else b"") + body.encode("utf-8")
    source = tmp_path / "in.txt"
    source.write_bytes(data)
    assert window.open_path(source)
    assert window.editor.plain_text() == body.replace("\r\n", "\n").replace("\r", "\n")
    assert not window.editor.document().isModified()
    assert window.save_to(tmp_path / "out.md")
    assert (tmp_path / "out.md").read_bytes() == data
    assert window.open_path(tmp_path / "out.md") and window.save()
    assert (tmp_path / "out.md").read_bytes() == data
    assert window.settings.recent_files[:2] == (str(tmp_path / "out.md"), str(source))
    recent = [a.text() for a in window.actions_.menus["recent"].actions()]
    assert "out.md" in recent[0] and "in.txt" in recent[1]


def test_an_edited_file_keeps_its_line_ending_style(window, tmp_path):
    source = tmp_path / "crlf.txt"
    source.write_bytes("سطر أول\r\nسطر ثان\r\n".encode())
    window.open_path(source)
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    cursor.insertText("سطر ثالث\nرابع")
    assert window.editor.document().isModified() and window.save()
    assert source.read_bytes() == "سطر أول\r\nسطر ثان\r\nسطر ثالث\r\nرابع".encode()


def test_mixed_line_endings_are_reported(window, tmp_path):
    source = tmp_path / "mixed.txt"
    source.write_bytes(b"a\r\nb\r\nc\nd")
    window.open_path(source)
    assert window.loaded.newline == "\r\n" and window.loaded.mixed_newlines
    assert "CRLF" in window.notices.text("notes")


def test_a_non_utf8_file_is_refused_clearly_and_left_alone(window, tmp_path):
    source = tmp_path / "cp1256.txt"
    data = "ذهب الطالب إلى المدرسة في الصباح".encode("cp1256")
    source.write_bytes(data)
    window.editor.load_text("نص سابق")
    assert not window.open_path(source)
    message = window.notices.text("file")
    assert "UTF-8" in message and "Windows-1256" in message and "cp1256.txt" in message
    assert window.editor.plain_text() == "نص سابق" and window.path == ""  # no mojibake loaded
    assert source.read_bytes() == data
    convert = next(b for b in window.notices.buttons("file") if "Windows-1256" in b.text())
    convert.click()
    assert window.editor.plain_text() == "ذهب الطالب إلى المدرسة في الصباح"
    assert window.editor.document().isModified() and source.read_bytes() == data  # converted only on save
    assert window.save()
    assert source.read_bytes() == "ذهب الطالب إلى المدرسة في الصباح".encode()


def test_encodings_are_detected_not_guessed_silently(tmp_path):
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("مرحبا".encode("utf-16"))
    with pytest.raises(EncodingProblem) as problem:
        read_text_file(utf16)
    assert problem.value.guess == "utf-16" and problem.value.guess_label == "UTF-16"
    assert decode_as(utf16, "utf-16").text == "مرحبا"
    assert guess_encoding("مرحبا".encode("utf-16-le")) == "utf-16-le"
    assert guess_encoding("café crème".encode("cp1252")) == "cp1252"
    broken = tmp_path / "broken.txt"
    broken.write_bytes("سلام".encode() + b"\xff" + "عليكم".encode())
    with pytest.raises(EncodingProblem) as problem:
        read_text_file(broken)
    assert problem.value.offset == len("سلام".encode())


def test_saving_is_atomic_and_keeps_permissions(tmp_path):
    target = tmp_path / "doc.txt"
    target.write_bytes(b"old")
    target.chmod(0o640)
    save_atomic(target, "جديد".encode())
    assert target.read_bytes() == "جديد".encode() and (target.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["doc.txt"]  # no temporary file left behind
    with pytest.raises(OSError):
        save_atomic(tmp_path / "missing-dir" / "x.txt", b"x")
    assert [p.name for p in tmp_path.iterdir()] == ["doc.txt"]
    assert encode_for_save("a\nb", LoadedText("", newline="\r\n", bom=True)) == b"\xef\xbb\xbfa\r\nb"


def test_closing_with_unsaved_changes_asks(make_window, qtbot, monkeypatch):
    window = make_window()
    window.editor.textCursor().insertText("مسودة")
    answers = []

    def answer(choice):
        def ask(name):
            answers.append(name)
            return choice
        return ask

    monkeypatch.setattr(window, "ask_unsaved", answer("cancel"))
    assert not window.close() and window.isVisible()
    monkeypatch.setattr(window, "ask_unsaved", answer("discard"))
    assert window.close()
    assert answers == ["بلا عنوان"] * 2  # "Untitled" has unsaved changes


def test_autosave_is_periodic_and_a_clean_close_leaves_none(make_window, tmp_path, qtbot):
    window = make_window(autosave_ms=30)
    folder = tmp_path / "data" / "autosave"
    window.editor.textCursor().insertText("مسودة")
    qtbot.waitUntil(lambda: len(list(folder.glob("*.json"))) == 1, timeout=3000)
    assert "مسودة" in next(folder.glob("*.json")).read_text(encoding="utf-8")
    window.editor.document().setModified(False)
    window.close()
    assert not list(folder.glob("*.json"))


CRASH = textwrap.dedent("""
    import os, sys
    from PySide6.QtWidgets import QApplication
    from nahawi_app.settings import SettingsStore
    from nahawi_app.window import MainWindow
    app = QApplication([])
    window = MainWindow(SettingsStore(sys.argv[1]), data_dir=sys.argv[2], engine=lambda: 1 / 0,
                        offer_recovery=False)
    window.path = sys.argv[3]
    window.editor.textCursor().insertText("عمل لم يُحفظ 😀\\nسطر ثان")
    window.autosave_now()
    os._exit(1)  # a crash: no close, no cleanup
""")


def test_autosave_after_a_crash_is_offered_back(make_window, tmp_path, qtbot):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    draft = str(tmp_path / "draft.txt")
    crashed = subprocess.run([sys.executable, "-c", CRASH, str(tmp_path / "child.ini"), str(tmp_path / "data"),
                              draft], check=False, env=env, timeout=120, capture_output=True)
    assert crashed.returncode == 1, crashed.stderr.decode()
    window = make_window(offer_recovery=True)
    assert "عمل غير محفوظ" in window.notices.text("recover")
    restore = window.notices.buttons("recover")[0]
    restore.click()
    assert window.editor.plain_text() == "عمل لم يُحفظ 😀\nسطر ثان"
    assert window.path == draft and window.editor.document().isModified()
    assert window.notices.text("recover") is None
    assert len(list((tmp_path / "data" / "autosave").glob("*.json"))) == 1  # now this session's own record
    window.editor.document().setModified(False)
    window.close()
    assert not AutosaveStore(tmp_path / "data" / "autosave").orphans()


def test_autosave_records_are_private_to_their_writer(tmp_path):
    """Drafts were written with the umask's modes (0644 in a 0755 folder): readable by every local user."""
    folder = tmp_path / "autosave"
    folder.mkdir(mode=0o755)  # as an earlier release left it
    mask = os.umask(0o022)
    try:
        store = AutosaveStore(folder)
        store.write("مسودة خاصة", "", LoadedText(""))
        fresh = AutosaveStore(tmp_path / "new" / "autosave")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.record_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh.directory.stat().st_mode) == 0o700
    store.close()
    fresh.close()


def test_the_settings_file_with_the_personal_dictionary_is_private(tmp_path):
    from nahawi_app.settings import AppSettings, SettingsStore

    mask = os.umask(0o022)
    try:
        SettingsStore(tmp_path / "settings.ini").save(AppSettings(dictionary=("نحوي",)))
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "settings.ini").stat().st_mode) == 0o600


@pytest.mark.parametrize("content", [
    b"[]", b'"text"', b"42", b"null", b"true", b'["a", "b"]', b'{"text": "draft', b"", b"\xff\xfe\x00",
    b'{"text": 5}', b'{"text": null}', b'{"path": "/x"}', b'{"text": ["x"]}',
])
def test_a_damaged_autosave_record_is_skipped_not_fatal(tmp_path, content):
    """A record that was valid JSON but not an object made every start fail (AttributeError in _read_record)."""
    folder = tmp_path / "autosave"
    folder.mkdir()
    (folder / "broken.json").write_bytes(content)
    good = AutosaveStore(folder)
    good.write("مسودة سليمة", "/doc.txt", LoadedText(""))
    good.lock.unlock()  # as if its editor had died
    store = AutosaveStore(folder)
    assert [record.text for record in store.orphans()] == ["مسودة سليمة"]
    store.close()


@pytest.mark.parametrize("fields", [
    '"saved_at": "yesterday"', '"saved_at": 1e999', '"saved_at": NaN', '"bom": []', '"bom": "yes"',
    '"path": {"a": 1}', '"path": 7', '"newline": ["\\r\\n"]', '"newline": "x"', '"version": "two"',
])
def test_an_odd_field_of_a_record_falls_back_and_the_draft_is_kept(tmp_path, fields):
    folder = tmp_path / "autosave"
    folder.mkdir()
    (folder / "odd.json").write_text('{"text": "مسودة", ' + fields + "}", encoding="utf-8")
    store = AutosaveStore(folder)
    [record] = store.orphans()
    assert record.text == "مسودة" and record.newline in ("\n", "\r\n", "\r") and isinstance(record.bom, bool)
    assert isinstance(record.path, str) and 0 <= record.saved_at < 1e12
    store.close()


def test_a_damaged_record_does_not_stop_the_window(make_window, tmp_path):
    folder = tmp_path / "data" / "autosave"
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text("[1, 2]")
    window = make_window(offer_recovery=True)
    assert window.notices.text("recover") is None and window.editor.plain_text() == ""


def test_the_recovery_notice_says_what_each_button_does(make_window, tmp_path):
    """Its second button read «تجاهل» (ignore) yet deleted the draft; now it says so, and "later" keeps it."""
    store = AutosaveStore(tmp_path / "data" / "autosave")
    store.write("مسودة", "", LoadedText(""))
    store.lock.unlock()
    window = make_window(offer_recovery=True)
    captions = [button.text() for button in window.notices.buttons("recover")]
    assert captions == ["استعد", "احذف المسودة", "لاحقًا"]
    window.notices.buttons("recover")[2].click()  # later: the notice goes, the draft stays for the next start
    assert window.notices.text("recover") is None and store.record_file.exists()
    window.offer_recovery()
    window.notices.buttons("recover")[1].click()
    assert not store.record_file.exists()


def test_autosave_follows_the_typing_not_a_30_second_clock(make_window, qtbot):
    """A record was written every 30 s: a crash lost up to 30 s of typing."""
    window = make_window()
    assert window.autosave_timer.interval() <= 3000 and not window.autosave_timer.isActive()
    window.editor.setFocus()
    from app_helpers import type_text

    type_text(window.editor, "م")
    assert window.autosave_timer.isActive()  # armed by the first unsaved change, not restarted by the next
    remaining = window.autosave_timer.remainingTime()
    type_text(window.editor, "س")
    assert window.autosave_timer.remainingTime() <= remaining
