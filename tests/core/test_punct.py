"""Benchmark punctuation protocol: tokenising is the identity on every gold source side, and stripping
reproduces the published no-punctuation files and the S lines of every .nopnx.m2 gold, line for line."""
import pytest

from nahawi.m2 import read_lines, read_m2
from nahawi.text.punct import is_punct_char, strip_punct, tokenize_punct

SOURCES = {  # gold M2 (without extension) -> the source side that matches its S lines
    "qalb/2014/dev/QALB-2014-L1-Dev": "qalb/2014/dev/QALB-2014-L1-Dev.sent.no_ids",
    "qalb/2014/test/QALB-2014-L1-Test": "qalb/2014/test/QALB-2014-L1-Test.sent.no_ids",
    "qalb/2015/dev/QALB-2015-L2-Dev": "qalb/2015/dev/QALB-2015-L2-Dev.sent.no_ids",
    "zaebuc/dev/dev": "zaebuc/dev/dev.sent.raw.pnx.tok",
}


@pytest.mark.parametrize("ch", list("،؛؟.,!?:;\"'()[]{}«»-–—_/\\*&%$+=<>|~^`@#…٪"))
def test_punctuation_and_symbols(ch):
    assert is_punct_char(ch)


@pytest.mark.parametrize("ch", list("اأبةىيءa1٣ ") + ["\u064e", "\u0640"])
def test_letters_digits_marks_and_space_are_not_punctuation(ch):
    assert not is_punct_char(ch)


@pytest.mark.parametrize(("text", "tokens"), [
    ("قال:نعم،وذهب.", "قال : نعم ، وذهب ."),
    ("هل ذهبت؟!", "هل ذهبت ؟ !"),
    ("بلغ 3.5 مليون و100,000 دولار.", "بلغ 3.5 مليون و100,000 دولار ."),  # a digit follows: kept
    ("نسبة 57% فقط", "نسبة 57 % فقط"),
    ('"الجزيرة.نت"', '" الجزيرة . نت "'),
    ("  كثير   من    المسافات  ", "كثير من المسافات"),
    ("ظلامه &amp; gt ;", "ظلامه &amp; gt ;"),  # HTML entities of the QALB sources stay whole
    ("الثنائي بوتن_مدفيدف و", "الثنائي بوتن_مدفيدف و"),  # an underscore joining letters stays
    ("_مرحبا_", "_ مرحبا _"),
    ("", ""),
])
def test_tokenize_punct(text, tokens):
    assert tokenize_punct(text) == tokens
    assert tokenize_punct(tokens) == tokens  # idempotent


@pytest.mark.parametrize(("text", "stripped"), [
    ("قال : نعم ، وذهب .", "قال نعم وذهب"),
    ("بلغ 400.00 و100,000", "بلغ 40000 و100000"),  # as the published nopnx files: marks inside go too
    ("بوتن_مدفيدف", "بوتنمدفيدف"),
    ("ظلامه &amp; gt ; نتمنى", "ظلامه gt نتمنى"),
    ("اسمه xinjiang , تسمونه", "اسمه xinjing تسمونه"),  # the nopnx tool also deleted Latin a, m, p
    ("! ! ؟", ""),
])
def test_strip_punct(text, stripped):
    assert strip_punct(text) == stripped


@pytest.mark.parametrize("base", sorted(SOURCES))
def test_tokenising_is_the_identity_on_gold_sources(shared_root, base):
    data = shared_root / "data"
    sources = read_lines(data / SOURCES[base])
    gold = read_m2(data / f"{base}.m2")
    assert [line.split() for line in sources] == [list(s.tokens) for s in gold]
    assert [i for i, s in enumerate(gold) if tokenize_punct(s.source).split() != list(s.tokens)] == []


@pytest.mark.parametrize("base", sorted(SOURCES))
def test_stripping_gives_the_nopnx_gold_sources(shared_root, base):
    data = shared_root / "data"
    with_punct = [s.source for s in read_m2(data / f"{base}.m2")]
    without = [s.tokens for s in read_m2(data / f"{base}.nopnx.m2")]
    assert [i for i, (a, b) in enumerate(zip(with_punct, without, strict=True))
            if tuple(strip_punct(a).split()) != b] == []


@pytest.mark.parametrize("system", ["source", "bart", "bart_ged-43", "bart_morph_ged-13"])
def test_published_outputs_are_tokenised_and_strip_to_their_nopnx_files(shared_root, system):
    folder = shared_root / "reference" / "qalb14-test"
    lines = read_lines(folder / f"{system}.txt")
    assert [i for i, line in enumerate(lines) if tokenize_punct(line) != line] == []
    stripped = read_lines(folder / f"{system}.nopnx.txt")
    assert [i for i, (a, b) in enumerate(zip(lines, stripped, strict=True)) if strip_punct(a) != b] == []
