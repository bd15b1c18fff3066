"""Why this word: a sentence about the very letters an edit changes, beside its kind's general explanation.

Owns one function, `edit_reason`: the characters of the original and the replacement are compared
(difflib, by character), and when the change is small (at most two places) each place is named —
«الى»: the alef becomes an alef with hamza below (إ); a space is added; a comma is removed. Letters are named
from a table of the letters spelling errors touch; others are quoted. A larger rewrite gets no reason (the
kind's explanation says enough). Knows nothing of widgets.
"""
from __future__ import annotations

from difflib import SequenceMatcher

from nahawi.contract import Edit
from nahawi_app.strings import Strings

MAX_PLACES = 2  # a change in more places than this is a rewrite, described by its kind only

# character -> (Arabic name, English name)
LETTER_NAMES: dict[str, tuple[str, str]] = {
    "ا": ("الألف", "alef"),
    "أ": ("الألف بهمزة فوقها", "alef with hamza above"),
    "إ": ("الألف بهمزة تحتها", "alef with hamza below"),
    "آ": ("الألف الممدودة", "alef with madda"),
    "ء": ("الهمزة", "hamza"),
    "ؤ": ("الواو بهمزة", "waw with hamza"),
    "ئ": ("الياء بهمزة", "yeh with hamza"),
    "ه": ("الهاء", "heh"),
    "ة": ("التاء المربوطة", "ta marbuta"),
    "ى": ("الألف المقصورة", "alef maqsura"),
    "ي": ("الياء", "yeh"),
    "و": ("الواو", "waw"),
    "ت": ("التاء", "teh"),
    "ث": ("الثاء", "theh"),
    "د": ("الدال", "dal"),
    "ذ": ("الذال", "thal"),
    "ز": ("الزاي", "zain"),
    "س": ("السين", "seen"),
    "ص": ("الصاد", "sad"),
    "ض": ("الضاد", "dad"),
    "ظ": ("الظاء", "zah"),
    "ط": ("الطاء", "tah"),
    " ": ("مسافة", "a space"),
    "،": ("فاصلة", "a comma"),
    ",": ("فاصلة", "a comma"),
    ".": ("نقطة", "a full stop"),
    "؟": ("علامة استفهام", "a question mark"),
    "!": ("علامة تعجب", "an exclamation mark"),
    "؛": ("فاصلة منقوطة", "a semicolon"),
    ":": ("نقطتان", "a colon"),
}


def _name(strings: Strings, text: str) -> str:
    """A letter or mark by its name (and itself, when it is visible); anything else quoted."""
    names = LETTER_NAMES.get(text) if len(text) == 1 else None
    if names is None:
        return f"«{text}»" if strings.arabic else f"“{text}”"
    name = names[0] if strings.arabic else names[1]
    return f"{name} ({text})" if text.strip() else name


def edit_reason(strings: Strings, edit: Edit) -> str:
    """A sentence naming what this edit changes in its words, or "" for a larger rewrite."""
    places = [op for op in SequenceMatcher(None, edit.original, edit.replacement, autojunk=False).get_opcodes()
              if op[0] != "equal"]
    if not places or len(places) > MAX_PLACES or (places[0][1] == 0 and places[0][2] == len(edit.original) > 1):
        return ""  # no change, a rewrite, or a word replaced whole: the suggestion itself says it all
    parts = []
    for tag, i1, i2, j1, j2 in places:
        old, new = edit.original[i1:i2], edit.replacement[j1:j2]
        if tag == "replace":
            parts.append(strings("reason_replace", old=_name(strings, old), new=_name(strings, new)))
        elif tag == "insert":
            parts.append(strings("reason_insert", new=_name(strings, new)))
        else:
            parts.append(strings("reason_delete", old=_name(strings, old)))
    sentence = ("، " if strings.arabic else "; ").join(parts)
    word = edit.original.strip()
    if word:
        return strings("reason_in", word=word, change=sentence)
    return sentence if strings.arabic else sentence[0].upper() + sentence[1:]
