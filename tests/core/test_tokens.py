"""Word and model tokens keep exact spans into the user's text, which is never changed."""
from hypothesis import given, settings
from hypothesis import strategies as st

from nahawi.text.punct import tokenize_punct
from nahawi.text.tokens import Token, model_tokens, tokenize_words

ARABIC_TEXT = st.text(alphabet="ابتجدذرسصضطظعفقكلمنهويءأإآؤئةى ،.؟!«»:3٣\t\n\u00a0\u064e\u0640😀_&;amp",
                      max_size=60)


def _texts(tokens):
    return [t.text for t in tokens]


def test_tokenize_words_spans_any_unicode_whitespace():
    text = "  ذهب\tالولدُ\u00a0إلى\u2003المدرسة\n"
    tokens = tokenize_words(text)
    assert _texts(tokens) == ["ذهب", "الولدُ", "إلى", "المدرسة"]
    assert tokens[0] == Token("ذهب", 2, 5)
    assert all(text[t.start:t.end] == t.text for t in tokens)


def test_model_tokens_split_punctuation_with_spans_in_the_user_text():
    text = "كلمة، كلمة"
    assert model_tokens(text) == [Token("كلمة", 0, 4), Token("،", 4, 5), Token("كلمة", 6, 10)]


def test_model_tokens_keep_numbers_with_a_following_digit_whole():
    assert _texts(model_tokens("السعر 3.5 دولار، أي 48% (تقريبا)")) == [
        "السعر", "3.5", "دولار", "،", "أي", "48", "%", "(", "تقريبا", ")"]


def test_model_tokens_split_emoji_but_keep_diacritics_and_tatweel():
    assert _texts(model_tokens("جميـلٌ😀!")) == ["جميـلٌ", "😀", "!"]


def test_model_tokens_on_empty_and_blank_text():
    assert model_tokens("") == [] and model_tokens(" \n\t") == []


@settings(deadline=None)
@given(st.one_of(st.text(max_size=60), ARABIC_TEXT))
def test_word_tokens_tile_the_non_whitespace(text):
    tokens = tokenize_words(text)
    _assert_tiles(text, tokens)
    assert all(not any(ch.isspace() for ch in t.text) for t in tokens)


@settings(deadline=None)
@given(st.one_of(st.text(max_size=60), ARABIC_TEXT))
def test_model_tokens_tile_the_non_whitespace_and_match_the_benchmark_tokeniser(text):
    tokens = model_tokens(text)
    _assert_tiles(text, tokens)
    assert _texts(tokens) == tokenize_punct(text).split()


def _assert_tiles(text, tokens):
    """Spans are exact, ordered, disjoint, and everything between them is whitespace."""
    cursor = 0
    for token in tokens:
        assert token.text and text[token.start:token.end] == token.text
        assert token.start >= cursor and text[cursor:token.start].strip() == ""
        cursor = token.end
    assert text[cursor:].strip() == ""


@settings(deadline=None)
@given(ARABIC_TEXT)
def test_model_tokens_of_a_slice_cut_at_whitespace_are_the_texts_own(text):
    """The punctuation stage tokenises a long line a window at a time, each cut at whitespace."""
    whole = model_tokens(text)
    for cut in (k for k, ch in enumerate(text) if ch.isspace()):
        assert model_tokens(text, 0, cut) + model_tokens(text, cut) == whole
        assert model_tokens(text, 0, cut) == model_tokens(text[:cut])
