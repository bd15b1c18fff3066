"""Segments cut a document at sentence ends and rebuild it exactly with the whitespace gaps between them."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nahawi.errors import InputError
from nahawi.text.segment import Segment, segment_text
from nahawi.text.tokens import tokenize_words


def _texts(text, **kwargs):
    return [s.text for s in segment_text(text, **kwargs)]


def test_cuts_after_sentence_final_marks_and_keeps_them():
    text = "ذهبت إلى السوق. ثم عدت إلى البيت؟ نعم!"
    assert _texts(text) == ["ذهبت إلى السوق.", "ثم عدت إلى البيت؟", "نعم!"]


def test_cuts_at_line_breaks_and_trims_whitespace_into_gaps():
    text = "  السطر الأول\r\n\nالسطر الثاني  \n"
    segments = segment_text(text)
    assert segments == [Segment("السطر الأول", 2, 13), Segment("السطر الثاني", 16, 28)]


def test_repeated_marks_and_closing_quotes_stay_with_their_sentence():
    assert _texts("قال: «نعم.» ثم مشى؟! وانتهى...") == ["قال: «نعم.»", "ثم مشى؟!", "وانتهى..."]


def test_decimal_points_and_addresses_are_not_sentence_ends():
    assert _texts("السعر 3.5 دينار في example.com اليوم") == ["السعر 3.5 دينار في example.com اليوم"]


def test_a_mark_glued_to_the_next_arabic_word_still_ends_the_sentence():
    assert _texts("انتهى الدرس.وبدأ اللعب") == ["انتهى الدرس.", "وبدأ اللعب"]


def test_long_sentence_is_cut_at_the_last_comma_within_the_limit():
    text = "واحد اثنان ثلاثة، أربعة خمسة ستة سبعة ثمانية تسعة عشرة"
    assert _texts(text, max_words=6) == ["واحد اثنان ثلاثة،", "أربعة خمسة ستة سبعة ثمانية تسعة", "عشرة"]


def test_long_sentence_without_commas_is_cut_at_word_boundaries():
    text = " ".join(["كلمة"] * 10)
    assert [len(s.split()) for s in _texts(text, max_words=4)] == [4, 4, 2]


def test_a_comma_in_the_first_half_is_not_used_for_a_tiny_piece():
    text = "واحد، اثنان ثلاثة أربعة خمسة ستة سبعة"
    assert _texts(text, max_words=6)[0] == "واحد، اثنان ثلاثة أربعة خمسة ستة"


def test_blank_text_has_no_segments_and_bad_limit_is_refused():
    assert segment_text("") == [] and segment_text(" \n\t ") == []
    with pytest.raises(InputError, match="max_words"):
        segment_text("نص", max_words=0)


DOCS = st.text(alphabet="ابتسكلمنوي  \n\t.،؛؟!»3\u00a0😀", max_size=120)


@settings(deadline=None)
@given(DOCS, st.integers(min_value=1, max_value=8))
def test_segments_and_gaps_rebuild_the_text_exactly(text, max_words):
    segments = segment_text(text, max_words=max_words)
    rebuilt, cursor = [], 0
    for seg in segments:
        gap = text[cursor:seg.start]
        assert gap.strip() == "" and seg.start >= cursor
        assert seg.text == text[seg.start:seg.end] and seg.text == seg.text.strip() and seg.text
        assert len(tokenize_words(seg.text)) <= max_words
        rebuilt += [gap, seg.text]
        cursor = seg.end
    rebuilt.append(text[cursor:])
    assert "".join(rebuilt) == text
    assert text[cursor:].strip() == ""
