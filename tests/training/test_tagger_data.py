"""Gold tags from real pairs: applying them gives the corrected text back; labels sit on the right pieces."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from nahawi.tags import JOIN, KEEP, Rewrite, TagVocab, apply_tags
from nahawi.text import tokenize_punct
from training.tagger_data import (
    IGNORE,
    build_vocab,
    derive_tags,
    encode_example,
    piece_positions,
    token_pieces,
)

SHARED = Path(os.environ.get("NAHAWI_SHARED", Path(__file__).resolve().parents[2] / ".." / "shared"))
QALB15 = SHARED / "data" / "qalb" / "2015" / "train"

PAIRS = [
    ("قال ان الولد ذهب الى المدرسه و كتب الدرس", "قال إن الولد ذهب إلى المدرسة ، وكتب الدرس ."),
    ("هذا مسئول كبير لا زال يعمل", "هذا مسؤول كبير لازال يعمل"),
    ("اريد ان اعرف مايحدث في في البيت", "أريد أن أعرف ما يحدث في البيت"),
]


@pytest.mark.parametrize("source,target", PAIRS)
def test_gold_tags_rebuild_the_target(source, target):
    tagged = derive_tags(source.split(), target.split())
    assert [t.token for t in tagged] == source.split()
    assert apply_tags(tagged) == target.split()


def test_tags_name_the_edit():
    tagged = derive_tags(PAIRS[0][0].split(), PAIRS[0][1].split())
    assert tagged[0].word == KEEP and tagged[1].word == Rewrite("^", 0, "ا", "إ")
    assert tagged[5].mark == "،" and tagged[6].word == JOIN and tagged[-1].mark == "."


@pytest.mark.skipif(not QALB15.exists(), reason=f"QALB-2015 train not found under {QALB15}")
def test_gold_tags_rebuild_real_qalb_documents():
    sources = (QALB15 / "QALB-2015-L2-Train.sent.no_ids").read_text(encoding="utf-8").splitlines()[:25]
    targets = (QALB15 / "QALB-2015-L2-Train.cor.no_ids").read_text(encoding="utf-8").splitlines()[:25]
    rebuilt = 0
    for source, target in zip(sources, targets):
        source_tokens, target_tokens = tokenize_punct(source).split(), tokenize_punct(target).split()
        rebuilt += apply_tags(derive_tags(source_tokens, target_tokens)) == target_tokens
    assert rebuilt == len(sources) == 25


def test_labels_sit_on_first_and_last_pieces(tmp_path):
    import sentencepiece as spm

    from export.fixtures import train_tiny_tokenizer

    sp = spm.SentencePieceProcessor(model_file=str(train_tiny_tokenizer(tmp_path)))
    tagged = derive_tags(PAIRS[0][0].split(), PAIRS[0][1].split())
    vocab = build_vocab([tagged], max_rewrites=10, min_count=1)
    example = encode_example(sp, vocab, tagged, learn_marks=True)
    pieces = token_pieces(sp, [t.token for t in tagged])
    first, last = piece_positions(pieces)
    assert example.ids[0] == sp.bos_id() and example.ids[-1] == sp.eos_id()
    assert len(example.ids) == 2 + sum(len(p) for p in pieces)
    assert [vocab.word_tags[example.word_labels[i]] for i in first] == [t.word for t in tagged]
    assert [vocab.marks[example.mark_labels[i]] for i in last] == [t.mark for t in tagged]
    assert (example.word_labels != IGNORE).sum() == len(tagged)
    silent = encode_example(sp, vocab, tagged, learn_marks=False)
    assert (silent.mark_labels == IGNORE).all()
    unknown = encode_example(sp, TagVocab([]), tagged, learn_marks=True)  # rewrites out of vocabulary
    assert unknown.word_labels[first[1]] == IGNORE and unknown.word_labels[first[0]] == 0
    assert np.array_equal(unknown.mark_labels, example.mark_labels)


def test_a_killed_derivation_resumes_from_its_saved_chunks(tmp_path, monkeypatch):
    """The alignment of 424k pairs takes an hour: a build killed half way lost all of it (a session's end ends
    it). Chunks saved as they are done are read back, not derived again, and give the same tags."""
    from training import tagger_data

    monkeypatch.setattr(tagger_data, "DERIVE_CHUNK", 2)
    records = [{"source": s, "target": t} for s, t in PAIRS] + [{"source": "", "target": "كلمة"}]
    fresh = tagger_data.derive_all(records, tmp_path, log=lambda _: None)
    assert [apply_tags(t) for t in fresh[:3]] == [t.split() for _, t in PAIRS] and fresh[3] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tags-0000.jsonl", "tags-0001.jsonl"]
    (tmp_path / "tags-0001.jsonl").unlink()  # killed before the second chunk was saved

    def no_alignment(*_):
        raise AssertionError("a saved chunk was derived again")

    monkeypatch.setattr(tagger_data, "derive_tags", no_alignment)
    with pytest.raises(AssertionError, match="derived again"):
        tagger_data.derive_all(records, tmp_path, log=lambda _: None)
    monkeypatch.undo()
    monkeypatch.setattr(tagger_data, "DERIVE_CHUNK", 2)
    assert tagger_data.derive_all(records, tmp_path, log=lambda _: None) == fresh
    monkeypatch.setattr(tagger_data, "derive_tags", no_alignment)
    assert tagger_data.derive_all(records, tmp_path, log=lambda _: None) == fresh  # all from disk now


def test_a_sample_of_leading_pairs_reads_the_chunks_of_the_whole_file(tmp_path, monkeypatch):
    """`train_pairs` trains on the file's leading pairs: the chunks a full derivation saved serve it (cut to
    its length), and a sample's shorter last chunk is derived again when the whole file is read."""
    from training import tagger_data

    monkeypatch.setattr(tagger_data, "DERIVE_CHUNK", 2)
    records = [{"source": s, "target": t} for s, t in PAIRS]
    sample = tagger_data.derive_all(records[:1], tmp_path, log=lambda _: None)
    assert len((tmp_path / "tags-0000.jsonl").read_text("utf-8").splitlines()) == 1
    whole = tagger_data.derive_all(records, tmp_path, log=lambda _: None)  # the short chunk is derived again
    assert whole[:1] == sample and [apply_tags(t) for t in whole] == [t.split() for _, t in PAIRS]

    def no_alignment(*_):
        raise AssertionError("a saved chunk was derived again")

    monkeypatch.setattr(tagger_data, "derive_tags", no_alignment)
    assert tagger_data.derive_all(records[:1], tmp_path, log=lambda _: None) == sample


def test_derivation_in_several_processes_gives_the_same_tags_and_chunks(tmp_path, monkeypatch):
    from training import tagger_data

    monkeypatch.setattr(tagger_data, "DERIVE_CHUNK", 1)
    records = [{"source": s, "target": t} for s, t in PAIRS] + [{"source": "", "target": "كلمة"}]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    alone = tagger_data.derive_all(records, tmp_path / "one", log=lambda _: None)
    together = tagger_data.derive_all(records, tmp_path / "two", log=lambda _: None, workers=2)
    assert together == alone and [apply_tags(t) for t in together[:3]] == [t.split() for _, t in PAIRS]
    assert {p.name: p.read_bytes() for p in (tmp_path / "two").iterdir()} == \
        {p.name: p.read_bytes() for p in (tmp_path / "one").iterdir()}
