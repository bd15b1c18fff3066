"""Opening Word (.docx) and OpenDocument (.odt) files as text (issue 13): paragraphs become lines, the text is a
new unsaved document, and saving writes text beside the original, which is never overwritten."""
from __future__ import annotations

import zipfile

import pytest

from nahawi.errors import InputError
from nahawi_app.office import read_office_text

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
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
    assert window.save_suggestion == str(tmp_path / "مقال.txt")
    assert "مقال.docx" in window.notices.text("converted")
    window.editor.setFocus()
    QTest.keyClick(window.editor, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(window.editor, "!")
    assert window.save_to(window.save_suggestion)
    assert (tmp_path / "مقال.txt").read_text(encoding="utf-8") == DOCX_TEXT + "!"
    assert path.read_bytes() == original


def test_a_broken_docx_is_reported_and_the_text_is_kept(window, tmp_path):
    window.editor.load_text("نص لم يحفظ")
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really")
    assert not window.open_path(broken)
    assert window.editor.plain_text() == "نص لم يحفظ" and "broken.docx" in window.notices.text("file")
