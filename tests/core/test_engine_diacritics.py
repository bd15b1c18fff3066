"""Text with diacritics is checked like text without, and a spacing edit never changes letters (issue 15).
The shipped model on the bundled sample's real sentences."""
import pytest

from nahawi.contract import apply_edits
from nahawi.engine import Corrector, CorrectorOptions
from nahawi.engine.corrector import DEFAULT_MODEL_DIR
from nahawi.text.chars import is_arabic_letter, strip_diacritics

FATHA, DAMMA, SHADDA = "\u064e", "\u064f", "\u0651"


@pytest.fixture(scope="module")
def shipped() -> Corrector:
    return Corrector.from_dir(None, device="cpu", options=CorrectorOptions(cache_size=0, threads=1))


def _lines() -> list[str]:
    text = (DEFAULT_MODEL_DIR.parent / "sample.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


def _vocalise(line: str) -> str:
    """A fatha, damma or shadda after every second Arabic letter, as a writer vocalises in places."""
    out, count = [], 0
    for ch in line:
        out.append(ch)
        if is_arabic_letter(ch):
            count += 1
            if count % 2 == 0:
                out.append((FATHA, DAMMA, SHADDA)[count // 2 % 3])
    return "".join(out)


def test_vocalised_text_gets_the_corrections_of_bare_text(shipped):
    lines = [*_lines(), "ذهبت الى المدرسه", "كتب الطالب الدرس فى المدرسه"]
    bare_results = shipped.correct_batch(lines)
    marked_results = shipped.correct_batch([_vocalise(line) for line in lines])
    assert sum(len(r.edits) for r in bare_results) > 10
    for bare, marked in zip(bare_results, marked_results, strict=True):
        assert strip_diacritics(marked.corrected) == strip_diacritics(bare.corrected)
        assert len(marked.edits) == len(bare.edits)
        for edit in marked.edits:  # every replacement keeps the marks of the letters it keeps
            if len(strip_diacritics(edit.original)) == len(edit.replacement.replace(FATHA, "").replace(
                    DAMMA, "").replace(SHADDA, "")) and edit.kind not in ("spacing", "punctuation"):
                assert edit.replacement.count(FATHA) + edit.replacement.count(DAMMA) + edit.replacement.count(
                    SHADDA) == edit.original.count(FATHA) + edit.original.count(DAMMA) + edit.original.count(SHADDA)


def test_unchanged_words_keep_their_diacritics(shipped):
    source = "ذَهَبْتُ الى المَدْرَسه"
    result = shipped.correct(source)
    assert result.corrected.startswith("ذَهَبْتُ إلى المَدْرَسة")
    assert result.corrected == apply_edits(source, result.edits)


def test_a_spacing_edit_never_changes_letters(shipped):
    """`و انا` → `وأنا` was one edit of kind spacing that also wrote a hamza."""
    lines = [*_lines(), "قال و انا معك", "و انا ذهبت الى المدرسه", "لانريد الحرب"]
    results = shipped.correct_batch(lines)
    spacing = [e for r in results for e in r.edits if e.kind == "spacing"]
    assert len(spacing) >= 3
    assert all("".join(e.original.split()) == "".join(e.replacement.split()) for e in spacing)
    joined = results[-2]
    assert joined.corrected.startswith("وأنا ذهبت إلى")
    assert [(e.original, e.replacement, e.kind) for e in joined.edits[:2]] == [(" ", "", "spacing"),
                                                                              ("انا", "أنا", "hamza")]
