"""Opening Word (.docx) and OpenDocument (.odt) files as text (issue 13): paragraphs become lines, the text is a
new unsaved document, and saving writes text beside the original, or a .docx (a line a paragraph, read back
character for character) once the writer was told that the original's formatting is not kept."""
from __future__ import annotations

import zipfile
from xml.etree import ElementTree

import pytest

from nahawi.errors import InputError
from nahawi_app.office import docx_bytes, read_office_text

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DOCX_BODY = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>'
             '<w:p><w:pPr><w:bidi/></w:pPr><w:r><w:t>ذهب الطالب </w:t></w:r><w:r><w:rPr><w:b/></w:rPr>'
             '<w:t>الى</w:t></w:r><w:r><w:t xml:space="preserve"> المدرسه</w:t></w:r></w:p>'
             '<w:p/>'
             '<w:p><w:r><w:t>سطر</w:t><w:tab/><w:t>بعد مسافة</w:t><w:br/><w:t>وسطر ثان</w:t></w:r></w:p>'
             '<w:p><w:r><w:delText>محذوف</w:delText></w:r><w:r><w:t>English line.</w:t></w:r></w:p>'
             '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>خلية</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
             '</w:body></w:document>')
DOCX_TEXT = "ذهب الطالب الى المدرسه\n\nسطر\tبعد مسافة\nوسطر ثان\nEnglish line.\nخلية"
ODT_CONTENT = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
               '<text:h text:outline-level="1">عنوان</text:h>'
               '<text:p>رايت <text:span>مصطفي</text:span><text:s text:c="2"/>يمشي<text:note><text:note-body>'
               '<text:p>حاشية</text:p></text:note-body></text:note></text:p>'
               '<text:list><text:list-item><text:p>بند<text:line-break/>تابع</text:p></text:list-item></text:list>'
               '</office:text></office:body></office:document-content>')
ODT_TEXT = "عنوان\nرايت مصطفي  يمشي\nبند\nتابع"


def write_docx(path, body=DOCX_BODY):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.'
                         'org/package/2006/content-types"/>')
        archive.writestr("word/document.xml", body)
    return path


def write_odt(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", ODT_CONTENT)
    return path


def test_docx_and_odt_paragraphs_become_lines(tmp_path):
    assert read_office_text(write_docx(tmp_path / "a.docx")) == DOCX_TEXT
    assert read_office_text(write_odt(tmp_path / "b.odt")) == ODT_TEXT


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04broken"])
def test_a_file_that_is_not_a_document_is_a_clear_error(tmp_path, content):
    path = tmp_path / "fake.docx"
    path.write_bytes(content)
    with pytest.raises(InputError, match="fake.docx"):
        read_office_text(path)
    with pytest.raises(InputError, match="not valid XML"):
        read_office_text(write_docx(tmp_path / "bad.docx", DOCX_BODY[:-20]))


def test_opening_a_docx_in_the_window_gives_unsaved_text_and_never_overwrites_it(window, qtbot, tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    path = write_docx(tmp_path / "مقال.docx")
    original = path.read_bytes()
    assert window.open_path(path)
    assert window.editor.plain_text() == DOCX_TEXT
    assert window.path == "" and window.editor.document().isModified()  # Ctrl+S asks where to save the text
    assert window.save_suggestion == str(path)  # Save as offers the .docx itself (see the tests below)
    assert "مقال.docx" in window.notices.text("converted")
    window.editor.setFocus()
    QTest.keyClick(window.editor, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(window.editor, "!")
    assert window.save_to(tmp_path / "مقال.txt")
    assert (tmp_path / "مقال.txt").read_text(encoding="utf-8") == DOCX_TEXT + "!"
    assert path.read_bytes() == original


def test_a_broken_docx_is_reported_and_the_text_is_kept(window, tmp_path):
    window.editor.load_text("نص لم يحفظ")
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really")
    assert not window.open_path(broken)
    assert window.editor.plain_text() == "نص لم يحفظ" and "broken.docx" in window.notices.text("file")


W_P, W_BIDI = f"{_W}p", f"{_W}bidi"
ROUND_TRIP = ("😀 ذَهَبَ الطالبُ الى المديـــر  \n"  # emoji, diacritics, tatweel, trailing spaces
              "\n"
              "\tEnglish <b> & “quotes”\t\n"
              "  مسافتان في البداية\rوعودة عربة\n"
              "\u200fعلامة اتجاه، ٣٤٥ و 123")


def _parts(data: bytes) -> dict[str, ElementTree.Element]:
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as archive:
        return {name: ElementTree.fromstring(archive.read(name)) for name in archive.namelist()}


def test_text_written_as_docx_reads_back_character_for_character(tmp_path):
    data = docx_bytes(ROUND_TRIP)
    parts = _parts(data)  # a zip whose every part is valid XML
    assert set(parts) == {"[Content_Types].xml", "_rels/.rels", "word/document.xml"}
    paragraphs = list(parts["word/document.xml"].iter(W_P))
    assert len(paragraphs) == ROUND_TRIP.count("\n") + 1  # one w:p per line
    right_to_left = [p.find(f"{_W}pPr/{W_BIDI}") is not None for p in paragraphs]
    assert right_to_left == [True, True, False, True, True]  # the empty line takes the majority's direction
    assert all(run.find(f"{_W}rPr/{_W}rtl") is not None for run in paragraphs[0].iter(f"{_W}r"))
    path = tmp_path / "نص.docx"
    path.write_bytes(data)
    assert read_office_text(path) == ROUND_TRIP


@pytest.mark.parametrize("text", ["", "\n", "سطر واحد", "English only"])
def test_short_texts_round_trip_through_docx(tmp_path, text):
    path = tmp_path / "a.docx"
    path.write_bytes(docx_bytes(text))
    assert read_office_text(path) == text


def test_a_character_a_docx_cannot_hold_is_named_with_its_line():
    with pytest.raises(InputError, match="line 2 holds U\\+000B"):
        docx_bytes("سطر\nخطأ\x0bهنا")


def _close_any_dialog(seen: list):
    """After the next turn of the event loop, record and reject a modal dialog if one is open."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def look():
        box = QApplication.activeModalWidget()
        if box is not None:
            seen.append(box.text())
            box.reject()
    QTimer.singleShot(0, look)


def test_an_opened_docx_saves_back_as_docx_after_saying_once_that_formatting_is_lost(window, qtbot, tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QPushButton
    from test_interface import when_shown

    path = write_docx(tmp_path / "مقال.docx")
    assert window.open_path(path)
    window.editor.setFocus()
    QTest.keyClick(window.editor, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(window.editor, "!")
    seen = when_shown(qtbot, lambda box: (box.text(), next(b for b in box.findChildren(QPushButton)
                                                            if b.text() == "احفظ بلا تنسيق").click()))
    assert window.save_to(path)
    [(told, _)] = seen
    assert "مقال.docx" in told and "تنسيق" in told  # in Arabic, naming the file
    assert read_office_text(path) == DOCX_TEXT + "!"
    assert [p.find(f"{_W}pPr/{W_BIDI}") is not None for p in _parts(path.read_bytes())["word/document.xml"].iter(W_P)
            ] == [True, True, True, True, False, True]
    QTest.keyClicks(window.editor, "?")
    asked = []
    _close_any_dialog(asked)
    assert window.save() and not asked  # once told, Ctrl+S writes the .docx again without asking
    assert read_office_text(path) == DOCX_TEXT + "!?"


def test_cancelling_the_formatting_warning_writes_nothing(window, qtbot, tmp_path):
    from PySide6.QtWidgets import QPushButton
    from test_interface import when_shown

    path = write_docx(tmp_path / "a.docx")
    original = path.read_bytes()
    assert window.open_path(path)
    seen = when_shown(qtbot, lambda box: next(b for b in box.findChildren(QPushButton) if b.text() == "إلغاء").click())
    assert not window.save_to(path)
    assert seen and path.read_bytes() == original and window.editor.document().isModified()


def test_a_text_document_saves_as_docx_without_a_warning_and_odt_is_refused(window, tmp_path):
    window.editor.load_text(ROUND_TRIP.replace("\r", ""))  # the editor makes a paragraph of a carriage return
    asked = []
    _close_any_dialog(asked)
    assert window.save_to(tmp_path / "نص.docx") and not asked  # nothing to lose: it had no formatting
    assert read_office_text(tmp_path / "نص.docx") == window.editor.plain_text()
    assert not window.save_to(tmp_path / "نص.odt")
    assert not (tmp_path / "نص.odt").exists() and ".odt" in window.notices.text("file")


def test_save_as_offers_word_for_an_opened_docx_and_adds_its_suffix(window, qtbot, tmp_path):
    from PySide6.QtWidgets import QFileDialog, QLineEdit
    from test_interface import when_shown

    path = write_docx(tmp_path / "مقال.docx")
    assert window.open_path(path)
    window.formatting_told = True  # the warning has its own tests; here only the dialog

    def answer(dialog: QFileDialog):
        offered = (dialog.nameFilters(), dialog.selectedNameFilter(), dialog.selectedFiles())
        dialog.findChild(QLineEdit, "fileNameEdit").setText("مقال مصحح")  # typed: no suffix, the Word filter chosen
        if dialog.selectedFiles() == [str(tmp_path / "مقال مصحح")]:
            dialog.accept()  # (a name that exists would ask to overwrite: never reached here)
        return offered
    seen = when_shown(qtbot, answer)
    assert window.save_as()
    [(filters, chosen, files)] = seen
    assert chosen == "مستند وورد (*.docx)" and chosen in filters and files == [str(path)]
    assert read_office_text(tmp_path / "مقال مصحح.docx") == DOCX_TEXT
    assert window.path == str(tmp_path / "مقال مصحح.docx")
