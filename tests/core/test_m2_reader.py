"""M2 reading and writing: annotators, noop, alternatives, deletions; malformed files name file and line."""
from pathlib import Path

import pytest

from nahawi.errors import InputError, M2FormatError
from nahawi.m2 import GoldEdit, M2Sentence, format_m2, parse_m2, read_lines, read_m2

FIXTURES = Path(__file__).parent / "fixtures" / "m2"


def test_reads_annotators_noop_alternatives_and_deletions():
    sentences = read_m2(FIXTURES / "corpus.m2")
    assert [s.line for s in sentences] == [1, 6, 10, 13, 16, 19]
    first = sentences[0]
    assert first.tokens == ("the", "cat", "sat", "on", "mat")
    # the noop annotator is kept, with no edit: it competes when the scorer picks an annotator
    assert first.gold_sets() == {0: (GoldEdit(4, 4, "", ("the",), "ArtOrDet"),),
                                 1: (GoldEdit(1, 2, "cat", ("cats",), "Noun"),), 2: ()}
    assert sentences[3].gold_sets()[0][0].corrections == ("",)  # -NONE- is the empty correction
    assert sentences[4].gold_sets()[0][0].corrections == ("color", "colour-x")
    assert sentences[5].annotators == () and sentences[5].gold_sets() == {0: ()}


def test_original_is_taken_from_the_source_tokens():
    edit = read_m2(FIXTURES / "corpus.m2")[1].gold_sets()[0][1]
    assert (edit.start, edit.end, edit.original, edit.corrections) == (6, 8, "grand mother", ("grandmother",))


def test_format_round_trips():
    sentences = read_m2(FIXTURES / "corpus.m2")
    text = format_m2(sentences)
    assert "A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||2" in text
    assert "A 0 2|||Delete|||-NONE-|||REQUIRED|||-NONE-|||0" in text
    again = parse_m2(text)
    assert [(s.source, s.gold_sets()) for s in again] == [(s.source, s.gold_sets()) for s in sentences]


def test_qalb_style_empty_correction_and_crlf():
    text = "S a b c\r\nA 1 2|||Delete||||||REQUIRED|||-NONE-|||0\r\n\r\nS d\r\n"
    first, second = parse_m2(text)
    assert first.gold_sets()[0] == (GoldEdit(1, 2, "b", ("",), "Delete"),)
    assert second.tokens == ("d",)


@pytest.mark.parametrize(("fixture", "line", "words"), [
    ("a_before_s.m2", 4, "must start with an 'S' line"),
    ("bad_span.m2", 2, "bad span 2 5"),
    ("bad_offsets.m2", 2, "integers"),
])
def test_malformed_files_name_the_file_and_line(fixture, line, words):
    with pytest.raises(M2FormatError) as error:
        read_m2(FIXTURES / fixture)
    assert f"{fixture}:{line}:" in str(error.value) and words in str(error.value)


@pytest.mark.parametrize(("text", "line", "words"), [
    ("S a b\nA 1 0|||Edit|||x|||REQUIRED|||-NONE-|||0\n", 2, "bad span"),
    ("S a b\nA 0 1|||Edit|||x\n", 2, "6 fields"),
    ("S a b\nA 0 1|||Edit|||x|||REQUIRED|||-NONE-|||ann\n", 2, "integers"),
    ("S a b\nA 0|||Edit|||x|||REQUIRED|||-NONE-|||0\n", 2, "two token offsets"),
    ("S a b\nS c d\n", 2, "second 'S' line"),
    ("S a b\nhello\n", 2, "expected an 'A' line"),
])
def test_malformed_lines(text, line, words):
    with pytest.raises(M2FormatError, match=f"gold.m2:{line}: .*{words}"):
        parse_m2(text, "gold.m2")


def test_non_utf8_m2_names_the_line(tmp_path):
    path = tmp_path / "latin1.m2"
    path.write_bytes("S a b\nA 0 1|||Edit|||é|||REQUIRED|||-NONE-|||0\n".encode("latin-1"))
    with pytest.raises(M2FormatError, match=r"latin1.m2:2: not valid UTF-8"):
        read_m2(path)


def test_hypothesis_lines_keep_empty_lines_and_strip_edges(tmp_path):
    path = tmp_path / "hyp.txt"
    path.write_bytes(b"  a b \r\n\nc\n")
    assert read_lines(path) == ["a b", "", "c"]
    path.write_bytes(b"a\nb")  # no final newline: same lines
    assert read_lines(path) == ["a", "b"]


def test_hypothesis_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\n\xff\xfe\n")
    with pytest.raises(InputError, match="bad.txt:2: not valid UTF-8"):
        read_lines(bad)
    with pytest.raises(InputError, match="cannot read"):
        read_lines(tmp_path / "missing.txt")


def test_sentences_built_in_code_format_like_files():
    sentence = M2Sentence("a b", ((3, (GoldEdit(0, 0, "", ("x y",)),)),))
    assert format_m2([sentence]) == "S a b\nA 0 0|||Edit|||x y|||REQUIRED|||-NONE-|||3\n\n"
