"""Code-point ↔ UTF-16 offset conversion for the edges (Qt widgets, LSP clients).

Owns the one place where Python string indices (code points, what `nahawi.contract.Edit` uses) meet UTF-16
code units: characters outside the Basic Multilingual Plane (emoji, some symbols) take two UTF-16 units;
Arabic letters, diacritics and tatweel take one. Knows nothing of lines, documents or edits.
"""
from __future__ import annotations

from nahawi.errors import InputError

_BMP_END = 0xFFFF


def _units(ch: str) -> int:
    return 2 if ord(ch) > _BMP_END else 1


def utf16_length(text: str) -> int:
    """Length of text in UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > _BMP_END)


def utf16_offset(text: str, cp_index: int) -> int:
    """UTF-16 offset of code-point index cp_index (0 ≤ cp_index ≤ len(text))."""
    if not 0 <= cp_index <= len(text):
        raise InputError(f"code-point offset {cp_index} outside text of length {len(text)}")
    return utf16_length(text[:cp_index])


def codepoint_offset(text: str, utf16_index: int) -> int:
    """Code-point index of UTF-16 offset utf16_index (0 ≤ utf16_index ≤ utf16_length(text)).

    An offset that falls between the two halves of a surrogate pair maps to the start of that character.
    """
    units = 0
    for i, ch in enumerate(text):
        units += _units(ch)
        if units > utf16_index:
            if utf16_index < 0:
                break
            return i
    if units == utf16_index:
        return len(text)
    raise InputError(f"UTF-16 offset {utf16_index} outside text of {units} UTF-16 units")
