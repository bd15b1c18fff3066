"""Which way a paragraph reads, from its characters alone (Unicode bidi classes), for the editor's paragraph
directions and the .docx writer's right-to-left paragraphs. Plain strings and booleans, no Qt: this runs on
every line of a file being opened or saved.
"""
from __future__ import annotations

import unicodedata

_bidirectional = unicodedata.bidirectional


def first_strong(text: str) -> bool | None:
    """True when text's first strong character (bidi class L, R or AL) is right-to-left, False when it is
    left-to-right, None without one."""
    for char in text:
        bidi = _bidirectional(char)
        if bidi == "L":
            return False
        if bidi == "R" or bidi == "AL":
            return True
    return None


def mostly_right_to_left(found: list[bool | None]) -> bool:
    """Whether most paragraphs (their `first_strong`) read right to left; so on a tie or with none."""
    return found.count(False) <= found.count(True)
