"""MaxMatch scorer: hand-computed counts on a small gold file, the shared-task corner cases, the reduced
search for huge lattices, and every count of the published reference outputs (expected.json)."""
import json
import time
from pathlib import Path

import pytest

from nahawi.errors import InputError
from nahawi.m2 import M2Sentence, lattice, parse_m2, read_lines, read_m2, score_corpus, score_sentence

FIXTURES = Path(__file__).parent / "fixtures" / "m2"


def _edits(sentence_score):
    return [(e.start, e.end, e.original, e.correction) for e in sentence_score.system_edits]


def test_hand_computed_corpus():
    """Per sentence (correct, proposed, gold): several annotators + noop (1, 1, 1); split + merge
    (2, 2, 2); two tokens inserted before the first word (0, 1, 1); empty hypothesis deleting a whole
    sentence (1, 1, 1); an alternative correction (1, 1, 1); a change where nobody annotated (0, 1, 0).
    P = 5/7, R = 5/6, F0.5 = 1.25 * 5 / (0.25 * 6 + 7) = 0.7353."""
    score = score_corpus(read_m2(FIXTURES / "corpus.m2"), read_lines(FIXTURES / "corpus.hyp"))
    assert (score.correct, score.proposed, score.gold) == (5, 7, 6)
    assert score.precision == pytest.approx(5 / 7) and score.recall == pytest.approx(5 / 6)
    assert score.f_beta == pytest.approx(6.25 / 8.5)
    per = [(s.annotator, s.correct, s.proposed, s.gold) for s in score.sentences]
    assert per == [(0, 1, 1, 1), (0, 2, 2, 2), (0, 0, 1, 1), (0, 1, 1, 1), (0, 1, 1, 1), (0, 0, 1, 0)]
    assert _edits(score.sentences[1]) == [(3, 4, "Newyork", "New York"), (6, 8, "grand mother", "grandmother")]
    assert _edits(score.sentences[3]) == [(0, 2, "a b", "")]
    assert score.sentences[0].gold_matched == (True,) and score.sentences[0].system_edits[0].matched


def test_two_tokens_inserted_before_the_first_word_never_match():
    """The shared-task copy labels insertions before the first word with offsets j-1, so 'he then'
    becomes an edit over [0, 1) and cannot match the gold insertion at 0 (later NUS releases: it does)."""
    gold = parse_m2("S went home\nA 0 0|||Add|||he then|||REQUIRED|||-NONE-|||0\n")[0]
    result = score_sentence(gold, "he then went home")
    assert (result.correct, result.proposed, result.gold) == (0, 1, 1)
    single = parse_m2("S went home\nA 0 0|||Add|||he|||REQUIRED|||-NONE-|||0\n")[0]
    assert _edits(score_sentence(single, "he went home")) == [(0, 0, "", "he")]
    assert score_sentence(single, "he went home").correct == 1


def test_insertion_inside_the_sentence_of_two_tokens_matches():
    gold = parse_m2("S went home\nA 1 1|||Add|||back to|||REQUIRED|||-NONE-|||0\n")[0]
    result = score_sentence(gold, "went back to home")
    assert (result.correct, result.proposed, result.gold) == (1, 1, 1)


def test_annotator_ties_prefer_fewer_proposed_plus_beta_squared_gold():
    """Nothing proposed: every annotator has F = 0 and 0 correct; the one with fewer gold edits wins."""
    gold = parse_m2("S a b c\nA 0 1|||E|||x|||REQUIRED|||-NONE-|||0\nA 1 2|||E|||y|||REQUIRED|||-NONE-|||0\n"
                    "A 2 3|||E|||z|||REQUIRED|||-NONE-|||1\n")[0]
    result = score_sentence(gold, "a b c")
    assert (result.annotator, result.correct, result.proposed, result.gold) == (1, 0, 0, 1)


def test_the_running_score_decides_the_annotator():
    """After a sentence with one unmatched proposal, annotator 1 (who wants the edit) is kept."""
    gold = parse_m2("S a b\nA 0 1|||E|||x|||REQUIRED|||-NONE-|||0\nA -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||1\n")
    result = score_sentence(gold[0], "x b", totals=(0, 1, 0))
    assert (result.annotator, result.correct, result.gold) == (0, 1, 1)
    result = score_sentence(gold[0], "a b", totals=(0, 1, 0))
    assert (result.annotator, result.gold) == (1, 0)  # nothing proposed: the noop annotator loses nothing


def test_nothing_proposed_gives_precision_one():
    sentences = read_m2(FIXTURES / "corpus.m2")
    score = score_corpus(sentences, [s.source for s in sentences])
    # 5 gold edits, not 6: in the first sentence the noop annotator (no gold edit) wins the tie
    assert (score.correct, score.proposed, score.gold, score.precision, score.recall) == (0, 0, 5, 1.0, 0.0)
    assert score.f_beta == 0.0


def test_wrong_number_of_hypothesis_lines():
    sentences = read_m2(FIXTURES / "corpus.m2")
    with pytest.raises(InputError, match="the hypothesis has 5 lines but the gold M2 has 6 sentences"):
        score_corpus(sentences, ["x"] * 5)


def test_empty_source_and_hypothesis():
    empty = M2Sentence("")
    assert score_sentence(empty, "").proposed == 0
    assert _edits(score_sentence(empty, "new words")) == [(0, 1, "", "new words")]  # the j-1 label again


def test_reduced_search_is_used_beyond_the_arc_budget(monkeypatch):
    monkeypatch.setattr(lattice, "ARC_BUDGET", 0)
    score = score_corpus(read_m2(FIXTURES / "corpus.m2"), read_lines(FIXTURES / "corpus.hyp"))
    assert (score.correct, score.proposed, score.gold) == (5, 7, 6)
    assert score.inexact_lines == (1, 2, 3, 4, 5, 6)


def test_unrelated_long_hypothesis_finishes(monkeypatch):
    """Nothing in common: the exact closure grows as n^4 (the official scorer would run for hours)."""
    monkeypatch.setattr(lattice, "ARC_BUDGET", 50_000)
    source = " ".join(f"w{i}" for i in range(90))
    gold = parse_m2(f"S {source}\nA 3 4|||E|||v3|||REQUIRED|||-NONE-|||0\nA 10 10|||E|||v9|||REQUIRED|||-NONE-|||0\n")
    start = time.perf_counter()
    result = score_sentence(gold[0], " ".join(f"v{i}" for i in range(80)))
    assert time.perf_counter() - start < 10
    assert not result.exact and (result.correct, result.gold) == (2, 2)


def test_max_unchanged_words_limits_merged_edits():
    gold = parse_m2("S a b c d e\nA 0 5|||E|||x b c d y|||REQUIRED|||-NONE-|||0\n")[0]
    assert score_sentence(gold, "x b c d y").correct == 0  # three unchanged words: never one edit
    assert score_sentence(gold, "x b c d y", max_unchanged_words=3).correct == 1


def _expected(shared_root):
    folder = shared_root / "reference" / "qalb14-test"
    return folder, json.loads((folder / "expected.json").read_text(encoding="utf-8"))


REFERENCE_FILES = ["bart.nopnx.txt", "bart.txt", "bart_ged-43.nopnx.txt", "bart_ged-43.txt",
                   "bart_morph_ged-13.nopnx.txt", "bart_morph_ged-13.txt", "source.nopnx.txt", "source.txt"]


@pytest.mark.parametrize("name", REFERENCE_FILES)
def test_reference_outputs_reproduce_expected_json(shared_root, name):
    folder, expected = _expected(shared_root)
    want = expected[name]
    start = time.perf_counter()
    score = score_corpus(read_m2(folder / want["gold"]), read_lines(folder / name))
    seconds = time.perf_counter() - start
    assert (score.correct, score.proposed, score.gold) == (want["correct"], want["proposed"], want["gold_edits"])
    assert round(score.precision, 4) == want["precision"] and round(score.recall, 4) == want["recall"]
    assert round(score.f_beta, 4) == want["f0.5"]
    assert score.inexact_lines == ()
    assert seconds < 30  # about 2-3 s here; the official scorer takes 50-100 s


def test_reference_set_is_complete(shared_root):
    assert sorted(_expected(shared_root)[1]) == REFERENCE_FILES


@pytest.mark.parametrize("hypothesis", ["QALB-2015-L2-Dev.sent.no_ids", "QALB-2015-L2-Dev.cor.no_ids"])
def test_qalb15_dev_long_documents_score_exactly_and_fast(shared_root, hypothesis):
    folder = shared_root / "data" / "qalb" / "2015" / "dev"
    start = time.perf_counter()
    score = score_corpus(read_m2(folder / "QALB-2015-L2-Dev.m2"), read_lines(folder / hypothesis))
    assert time.perf_counter() - start < 30
    assert score.inexact_lines == () and score.gold == 7293
    if hypothesis.startswith("QALB-2015-L2-Dev.cor"):
        assert (score.correct, score.proposed) == (7225, 7256)  # the corrected side: almost every gold edit
