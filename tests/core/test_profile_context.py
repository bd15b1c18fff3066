"""Where a decision was made (issue 17): a suggestion ignored at the start of a paragraph or a sentence is
remembered there whether the decision carried its paragraph (the app), its sentence (the server) or a cut
of a long paragraph (`decision_context`), and the engine, checking the whole document, stops making it
there and only there."""
import pytest

from nahawi.engine import Corrector
from nahawi.profile import Profile
from nahawi.profile.adapt import adapt
from nahawi.profile.decisions import CONTEXT_CHARS, decision_context, decision_from_dict
from nahawi.profile.writer import EDGE, Neighbours

PARAGRAPH = "ان الولد ذهب الى المدرسه"  # the shipped model writes إن for its first word


@pytest.fixture(scope="module")
def shipped():
    return Corrector.from_dir(None, device="cpu")


MIDDLE = "قال " + PARAGRAPH  # the same word after a word of its own sentence: another place


def _decision(text, start, end, decision="ignored"):
    text, start, end = decision_context(text, start, end)
    return decision_from_dict({"text": text, "start": start, "end": end, "replacement": "إن", "kind": "hamza",
                               "rule_id": "lexicon", "decision": decision}, "test")


def _feedback(text, start):
    """The writer ignores إن at text[start] and accepts it after a word (so the gate, refitted on both,
    keeps it: what goes is the suggestion in that place)."""
    return [_decision(text, start, start + 2), *[_decision(MIDDLE, 4, 6, "accepted")] * 3]


def _made(engine, text, start):
    return [(e.start, e.end, e.replacement) for e in engine.correct(text).edits if e.start == start]


def test_ignored_at_a_paragraph_start_is_not_made_there_again(tmp_path, shipped):
    """The app records the paragraph alone (its first word's neighbour before is the edge) and checks the
    document (where the token before is the last of the paragraph above): the two must key alike."""
    document = "كتب الطالب مقالا.\n" + PARAGRAPH
    start = document.index(PARAGRAPH)
    assert _made(shipped, document, start) == [(start, start + 2, "إن")]
    engine = Corrector.from_dir(None, device="cpu")
    adapt(Profile(tmp_path), engine, feedback=_feedback(PARAGRAPH, 0))
    assert _made(engine, document, start) == []
    assert _made(engine, PARAGRAPH, 0) == []
    assert _made(engine, MIDDLE, 4) == _made(shipped, MIDDLE, 4) == [(4, 6, "إن")]
    other = "كتب الطالب مقالا ان الولد ذهب"
    assert _made(engine, other, 17) == _made(shipped, other, 17) != []


def test_ignored_at_a_sentence_start_as_the_server_records_it(tmp_path, shipped):
    """The server records the sentence the engine read; the check reads the paragraph, where a full stop
    comes before: the sentence's start is an edge in both."""
    paragraph = "كتب الطالب مقالا. " + PARAGRAPH
    start = paragraph.index(PARAGRAPH)
    assert _made(shipped, paragraph, start) == [(start, start + 2, "إن")]
    engine = Corrector.from_dir(None, device="cpu")
    adapt(Profile(tmp_path), engine, feedback=_feedback(PARAGRAPH, 0))
    assert _made(engine, paragraph, start) == []
    assert _made(engine, MIDDLE, 4) == [(4, 6, "إن")]


@pytest.mark.parametrize("text, before", [
    ("مقال.\nان الولد", EDGE), ("مقال. ان الولد", EDGE), ("ان الولد", EDGE), ("كتب مقالا ان الولد", "مقالا"),
    ("مقال\u2029ان الولد", EDGE), ("مقال\u2028ان الولد", EDGE)])
def test_the_neighbour_before_a_word_is_in_its_sentence(text, before):
    start = text.index("ان ")
    assert Neighbours(text).key(start, start + 2, "إن") == (before, "ان", "الولد", "إن")


def test_an_insertion_at_a_sentence_end_has_the_edge_after_it():
    text = "ذهب الى المدرسه\nثم عاد"
    at = text.index("\n")
    assert Neighbours(text).key(at, at, ".") == ("المدرسه", "", EDGE, ".")


def test_a_cut_of_a_long_run_on_paragraph_keys_every_word_as_the_paragraph_does():
    """A paragraph of one sentence far longer than the engine's 64-word segments, without a full stop: the
    decision keeps whole segments, so the segments (and each word's neighbours) near the span are the
    paragraph's, at every word, including the words where the engine cuts the sentence."""
    words = ("وذهب الولد الى المدرسه في الصباح الباكر ثم عاد الى البيت مع اصدقائه " * 40).split()
    paragraph = " ".join(words)
    assert len(paragraph) > 4 * CONTEXT_CHARS
    whole = Neighbours(paragraph)
    position, edges = 0, 0
    for word in words:
        start, end = position, position + len(word)
        position = end + 1
        text, s, e = decision_context(paragraph, start, end)
        assert text[s:e] == word and len(text) < len(paragraph)
        key = whole.key(start, end, word + "ـ")
        assert Neighbours(text).key(s, e, word + "ـ") == key
        edges += EDGE in (key[0], key[2])
    assert edges >= 2 * (len(words) // 64) - 1  # the engine's segment boundaries were among the words tried
