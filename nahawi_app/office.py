"""Word (.docx) and OpenDocument (.odt) files read as plain text, and text written as a .docx, with the
standard library only.

Owns two things. Reading: the text of such a file, a line per paragraph (headings, list items and table
cells are paragraphs too; a line break inside a paragraph starts a new line; tabs stay tabs). Writing
(`docx_bytes`): a minimal valid .docx of a text, one w:p per line, right-to-left (w:bidi, and w:rtl on its
runs) for a line whose first strong character is, and for a line without one when most lines are; reading it
back gives the text, character for character. Both formats are zip archives of XML, so `zipfile` and
`xml.etree` read them and a few fixed parts plus one generated XML file write one: python-docx or odfpy
would add a dependency (and lxml) for a walk over one XML file and for one writer. Formatting, headers,
footnotes, comments and deleted tracked changes are left out when reading, so a document read and written
back keeps its paragraphs only. A file that is not such an archive, or whose XML is broken or too large,
raises `InputError`, and so does a text holding a character XML cannot carry. Knows nothing of widgets.
"""
from __future__ import annotations

import re
import zipfile
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

from nahawi.errors import InputError
from nahawi_app.direction import first_strong, mostly_right_to_left

OFFICE_SUFFIXES = (".docx", ".odt")
MAX_XML_BYTES = 256 * 1024 * 1024  # a larger document part is refused before it is unpacked (zip bombs)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_MEMBER = {".docx": "word/document.xml", ".odt": "content.xml"}
_ODT_SKIPPED = (f"{_TEXT}note", "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}annotation",
                "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}tracked-changes")


def is_office_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in OFFICE_SUFFIXES


def read_office_text(path: str | Path) -> str:
    """The text of a .docx or .odt file: its paragraphs, one a line."""
    path = Path(path)
    suffix = path.suffix.lower()
    root = _document_xml(path, _MEMBER[suffix])
    lines = _docx_lines(root) if suffix == ".docx" else _odt_lines(root)
    return "\n".join(lines)


def _document_xml(path: Path, member: str) -> ElementTree.Element:
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(member)
            if info.file_size > MAX_XML_BYTES:
                raise InputError(f"{path}: {member} is {info.file_size} bytes unpacked, more than a text can be")
            data = archive.read(info)
    except KeyError:
        raise InputError(f"{path}: not a {path.suffix} document (it has no {member})") from None
    except (OSError, zipfile.BadZipFile, RuntimeError) as error:  # RuntimeError: an encrypted member
        raise InputError(f"{path}: cannot be read as {path.suffix}: {error}") from None
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise InputError(f"{path}: its {member} is not valid XML ({error})") from None


def _docx_lines(root: ElementTree.Element) -> list[str]:
    """Every w:p of the body in order; within one, w:t text, w:tab and w:br / w:cr."""
    lines = []
    for paragraph in root.iter(f"{_W}p"):
        parts = [""]
        for node in paragraph.iter():
            if node.tag == f"{_W}t":
                parts[-1] += node.text or ""
            elif node.tag == f"{_W}tab":
                parts[-1] += "\t"
            elif node.tag in (f"{_W}br", f"{_W}cr"):
                parts.append("")
        lines.extend(parts)
    return lines


def _odt_lines(node: ElementTree.Element, lines: list[str] | None = None) -> list[str]:
    """Every text:p and text:h in document order (list items, sections and table cells hold them too); notes
    and annotations are left out."""
    lines = [] if lines is None else lines
    for child in node:
        if child.tag in (f"{_TEXT}p", f"{_TEXT}h"):
            parts = [""]
            _odt_inline(child, parts)
            lines.extend(parts)
        elif child.tag not in _ODT_SKIPPED:
            _odt_lines(child, lines)
    return lines


def _odt_inline(node: ElementTree.Element, parts: list[str]) -> None:
    """Append node's text to parts (a new part per line break), spans and links included, notes left out."""
    parts[-1] += node.text or ""
    for child in node:
        tag = child.tag
        if tag == f"{_TEXT}s":
            count = child.get(f"{_TEXT}c", "1")
            parts[-1] += " " * (int(count) if count.isdigit() else 1)
        elif tag == f"{_TEXT}tab":
            parts[-1] += "\t"
        elif tag == f"{_TEXT}line-break":
            parts.append("")
        elif tag not in (*_ODT_SKIPPED, f"{_TEXT}p", f"{_TEXT}h"):
            _odt_inline(child, parts)
        parts[-1] += child.tail or ""


# The parts of a minimal WordprocessingML package (ECMA-376 part 1, 11.3.10): content types, the package
# relationship to the main document, and the main document.
_CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  '<Default Extension="xml" ContentType="application/xml"/>'
                  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                  'officedocument.wordprocessingml.document.main+xml"/></Types>')
_PACKAGE_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 'officeDocument" Target="word/document.xml"/></Relationships>')
_DOCUMENT_START = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document '
                   'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
_DOCUMENT_END = '</w:body></w:document>'
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")  # XML 1.0 has no way to write these
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})  # a literal CR would read as LF


def docx_bytes(text: str) -> bytes:
    """A .docx holding text, one paragraph per line ("\n"); `InputError` names a character it cannot hold."""
    bad = _NOT_IN_XML.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise InputError(f"line {line} holds U+{ord(bad.group()):04X}, which a .docx cannot store")
    lines = text.split("\n")
    found = [first_strong(line) for line in lines]
    default = mostly_right_to_left(found)
    body = "".join(_paragraph(line, default if strong is None else strong) for line, strong in zip(lines, found, strict=True))
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        archive.writestr("word/document.xml", _DOCUMENT_START + body + _DOCUMENT_END)
    return out.getvalue()


def _paragraph(line: str, right_to_left: bool) -> str:
    """One w:p: a run of w:t pieces (spaces kept) with a w:tab for each tab."""
    properties, run_properties = ("<w:pPr><w:bidi/></w:pPr>", "<w:rPr><w:rtl/></w:rPr>") if right_to_left else ("", "")
    if not line:
        return f"<w:p>{properties}</w:p>"
    pieces = "<w:tab/>".join(f'<w:t xml:space="preserve">{piece.translate(_ESCAPES)}</w:t>' if piece else ""
                             for piece in line.split("\t"))
    return f"<w:p>{properties}<w:r>{run_properties}{pieces}</w:r></w:p>"
