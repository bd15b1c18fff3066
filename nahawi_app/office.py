"""Word (.docx) and OpenDocument (.odt) files read as plain text, with the standard library only.

Owns one thing: the text of such a file, a line per paragraph (headings, list items and table cells are
paragraphs too; a line break inside a paragraph starts a new line; tabs stay tabs). Both formats are zip
archives of XML, so `zipfile` and `xml.etree` read them: python-docx or odfpy would add a dependency (and
lxml) for what is a walk over one XML file, and they are not needed to write the text back (it is saved as
.txt or .md). Formatting, headers, footnotes, comments and deleted tracked changes are left out; a file
that is not such an archive, or whose XML is broken or too large, raises `InputError`. Knows nothing of
widgets.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree

from nahawi.errors import InputError

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
