"""Helpers shared by the editor tests (imported by name: tests/app is on sys.path while they run)."""
from __future__ import annotations

from export.fixtures import TRAINED_CORRECTIONS

# Sentences the trained fixture model corrects (all in TRAINED_CORRECTIONS) around one it keeps and an
# English line. Emoji, diacritics and tatweel sit before errors on the same line; the corrections are
# hamza, ta marbuta, alif maqsura ×2, letter confusion and a full stop inserted after an unchanged word.
DOCUMENT = ("😀 ذَهَبَ الطالبُ الى المدرسه في الصباح. رايت مصطفي يمشي علي الشاطئ 😀 مع أخيه.\n"
            "سطر بلا أخطاء.\n"
            "قال المديـــر ان الاجتماع سيعقد يوم الاحد القادم\n"
            "\n"
            "English line.\n"
            "رأيت الضبي في الحديقة")
SPACING = "ذهب الطالبالى المدرسة"  # a learned spacing fix, kept out of DOCUMENT
FULL_STOP_AFTER_A_FIX = "يساعد الأطباء المرضى ويخففون الامهم"  # learned: "آلامهم." (a fix, then an insertion)


def learned_correction(text: str) -> str:
    """text with every learned source sentence replaced by its learned correction."""
    for source, target in TRAINED_CORRECTIONS:
        text = text.replace(source, target)
    return text


def check(qtbot, window, text: str | None = None):
    """Load text (if given), check it now, and return the CheckResult once its underlines are shown."""
    if text is not None:
        window.editor.load_text(text)
    with qtbot.waitSignal(window.checked, timeout=20000) as blocker:
        window.check_now()
    return blocker.args[0]


def type_text(widget, text: str) -> None:
    """Type text into widget as a keyboard would: one press and release per character, carrying the character
    (QTest.keyClicks only takes ASCII; an Arabic layout sends the letter's code with its text)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    for char in text:
        key = Qt.Key.Key_Return if char == "\n" else Qt.Key(ord(char.upper()) if char.isascii() else ord(char))
        QTest.sendKeyEvent(QTest.KeyAction.Click, widget, key, "\r" if char == "\n" else char,
                           Qt.KeyboardModifier.NoModifier)


BIDI_MARKS = "\u200e\u200f\u2066\u2067\u2068\u2069"  # LRM, RLM, LRI, RLI, FSI, PDI: draw nothing


def laid_out(text: str, direction, width: int = 100_000):
    """(the QTextLayout, its one line) of text in a paragraph of direction: keep the layout alive while the
    line is read."""
    from PySide6.QtGui import QTextLayout, QTextOption

    layout = QTextLayout(text)
    option = QTextOption()
    option.setTextDirection(direction)
    layout.setTextOption(option)
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(width)
    layout.endLayout()
    return layout, line


def drawn_order(text: str, direction) -> str:
    """text's characters as a line laid out in a paragraph of direction draws them, from left to right (each
    character by the x of its glyphs; marks of direction left out). What a label, a status bar or a table cell of
    that direction shows: "Ctrl+," drawn right to left is ",+Ctrl"."""
    from PySide6.QtGui import QTextLayout

    _layout, line = laid_out(text, direction)  # the layout kept alive while its line is read
    placed = []  # (x, index) of each drawn character (one at a time: runs in a fallback font number theirs wrongly)
    for index, char in enumerate(text):
        runs = line.glyphRuns(index, 1, QTextLayout.GlyphRunRetrievalFlag.RetrieveGlyphPositions)
        xs = [position.x() for run in runs for position in run.positions()]
        if xs and char not in BIDI_MARKS:
            placed.append((min(xs), index))
    return "".join(text[index] for _, index in sorted(placed))
