"""Code-point ↔ UTF-16 offsets round-trip with Arabic, diacritics, tatweel and emoji."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nahawi.errors import InputError
from nahawi.text.offsets import codepoint_offset, utf16_length, utf16_offset

TEXTS = st.one_of(st.text(max_size=40), st.text(alphabet="كتـابٌ😀𝕏 \u064e\u0670a", max_size=40))


def _reference(text, cp_index):
    return len(text[:cp_index].encode("utf-16-le")) // 2


def test_arabic_with_diacritics_and_tatweel_is_one_unit_per_code_point():
    text = "مُحَمَّـدٌ"
    assert [utf16_offset(text, i) for i in range(len(text) + 1)] == list(range(len(text) + 1))
    assert utf16_length(text) == len(text)


def test_emoji_take_two_units():
    text = "أ😀ب"
    assert [utf16_offset(text, i) for i in range(4)] == [0, 1, 3, 4]
    assert [codepoint_offset(text, u) for u in range(5)] == [0, 1, 1, 2, 3]  # 2 is inside the pair
    assert utf16_length(text) == 4


@pytest.mark.parametrize(("call", "bad"), [(utf16_offset, -1), (utf16_offset, 4), (codepoint_offset, -1),
                                           (codepoint_offset, 5)])
def test_out_of_range_offsets_are_input_errors(call, bad):
    with pytest.raises(InputError):
        call("أ😀ب", bad)


@settings(deadline=None)
@given(TEXTS)
def test_codepoint_to_utf16_round_trips(text):
    for i in range(len(text) + 1):
        u = utf16_offset(text, i)
        assert u == _reference(text, i)
        assert codepoint_offset(text, u) == i


@settings(deadline=None)
@given(TEXTS)
def test_utf16_to_codepoint_round_trips_outside_surrogate_pairs(text):
    starts = {_reference(text, i) for i in range(len(text) + 1)}
    assert utf16_length(text) == _reference(text, len(text))
    for u in range(utf16_length(text) + 1):
        i = codepoint_offset(text, u)
        assert utf16_offset(text, i) == (u if u in starts else u - 1)
