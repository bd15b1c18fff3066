"""Target pieces that follow the source's (training.segmentation), on the shipped tokenizer and real Arabic: the
pieces decode to the target, only joined and corrected words change, a join is the source's first word plus
pieces that start no word, and a word corrected in place is cut where its source word is cut."""
import json
from pathlib import Path

import pytest

spm = pytest.importorskip("sentencepiece")

from training.batching import cache_key, encode_pairs
from training.segmentation import TARGET_PIECES, WORD_START, TargetPieces

TOKENIZER = Path(__file__).resolve().parents[2] / "training/snapshots/seq2seq-warm/spm.model"


@pytest.fixture(scope="module")
def sp():
    return spm.SentencePieceProcessor(model_file=str(TOKENIZER))


@pytest.fixture(scope="module", params=["joins", "aligned"])
def joins(sp, request):
    return TargetPieces(sp, request.param)


@pytest.fixture(scope="module")
def aligned(sp):
    return TargetPieces(sp, "aligned")


def _pieces(sp, ids):
    return [sp.id_to_piece(i) for i in ids]


@pytest.mark.parametrize("source, target, joined", [
    ("المال و يأخذوا حقوقهم", "المال ويأخذوا حقوقهم", "ويأخذوا"),
    ("ذهب الولد و البنت إلى المدرسة", "ذهب الولد والبنت إلى المدرسة", "والبنت"),
    ("قال و النظام ، يعرف", "قال والنظام ، يعرف", "والنظام"),
])
def test_a_joined_word_is_the_first_words_pieces_then_unmarked_ones(sp, joins, source, target, joined):
    ids = joins.encode(source, target)
    assert sp.decode(ids) == target
    pieces = _pieces(sp, ids)
    start = pieces.index(WORD_START + "و")
    rest = pieces[start + 1:]
    end = next((k for k, p in enumerate(rest) if p.startswith(WORD_START)), len(rest))
    assert rest[:end] and not any(p.startswith(WORD_START) for p in rest[:end])
    assert "".join(pieces[start:start + 1 + end]).lstrip(WORD_START) == joined
    others = " ".join(w for w in target.split() if w != joined)  # keep SentencePiece's own pieces
    assert pieces[:start] + rest[end:] == _pieces(sp, sp.encode(others))


def test_a_join_with_the_neighbour_respelt_is_found(sp, joins):
    ids = joins.encode("و الحمايه و حصلت", "والحماية وحصلت")
    assert sp.decode(ids) == "والحماية وحصلت"
    assert ids != sp.encode("والحماية وحصلت")
    assert _pieces(sp, ids)[0] == WORD_START + "و" and not _pieces(sp, ids)[1].startswith(WORD_START)


@pytest.mark.parametrize("source, target", [
    ("كتب الولد الدرس", "كتب الولد الدرس"),  # nothing joined
    ("والله إنه صادق", "والله إنه صادق"),  # the joined form is already the source's word: a copy
    ("يارب احفظنا", "يا رب احفظنا"),  # a split, not a join
    ("ذهب و", "ذهب و"),  # a lone و at the end joins nothing
])
def test_without_a_join_the_pieces_are_sentencepieces(sp, joins, source, target):
    assert joins.encode(source, target) == sp.encode(target)


@pytest.mark.parametrize("source, target, pieces", [
    ("نظام الاسدية", "نظام الأسدية", "▁ال أس دية"),  # SentencePiece: ▁الأسد ية
    ("في امريكا", "في أمريكا", "▁أ مر يكا"),  # SentencePiece: ▁أمريكا
    ("من اظافرهم", "من أظافرهم", "▁أ ظ ا فر هم"),
])
def test_a_word_corrected_in_place_is_cut_like_its_source(sp, aligned, source, target, pieces):
    ids = aligned.encode(source, target)
    assert sp.decode(ids) == target
    assert " ".join(_pieces(sp, ids)[1:]) == pieces


def test_a_joined_word_follows_its_respelt_neighbours_pieces(sp, aligned):
    ids = aligned.encode("من و الارمن", "من والأرمن")  # the neighbour: ▁ال ار من
    assert sp.decode(ids) == "من والأرمن"
    assert _pieces(sp, ids)[1:3] == [WORD_START + "و", "ال"] and _pieces(sp, ids)[-1] == "من"


def test_sentencepiece_mode_is_sentencepiece_and_an_unknown_mode_is_refused(sp):
    assert TargetPieces(sp, "sentencepiece").encode("و البنت", "والبنت") == sp.encode("والبنت")
    with pytest.raises(ValueError, match="one of"):
        TargetPieces(sp, "bpe-dropout")
    assert TARGET_PIECES[0] == "sentencepiece"  # TrainConfig's default


def test_target_pieces_is_part_of_the_cache_key_and_changes_only_targets(sp, tmp_path):
    jsonl = tmp_path / "train.jsonl"
    rows = [{"source": "المال و يأخذوا حقوقهم", "target": "المال ويأخذوا حقوقهم"},
            {"source": "كتب الولد الدرس", "target": "كتب الولد الدرس"}]
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert cache_key(jsonl, sp, 64) != cache_key(jsonl, sp, 64, "aligned") != cache_key(jsonl, sp, 64, "joins")
    plain_src, plain_tgt, _ = encode_pairs(jsonl, sp, 64, tmp_path)
    src, tgt, report = encode_pairs(jsonl, sp, 64, tmp_path, "aligned")
    assert report["cache"].startswith("encoded")  # not the plain encoding's cache
    assert [s.tolist() for s in src] == [s.tolist() for s in plain_src]
    assert tgt[0].tolist() != plain_tgt[0].tolist() and tgt[1].tolist() == plain_tgt[1].tolist()
    assert [sp.decode(t.tolist()) for t in tgt] == [r["target"] for r in rows]
