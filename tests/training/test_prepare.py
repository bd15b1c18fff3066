"""`nahawi train prepare --smoke` end to end through the CLI runner, on the real shared data."""
from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nahawi.errors import ConfigError, InputError
from nahawi.text import is_punct_char

DATA = Path(os.environ.get("NAHAWI_SHARED", Path(__file__).resolve().parents[2] / ".." / "shared")) / "data"
CORPUS = DATA.parent / "corpus"
needs_data = pytest.mark.skipif(not (DATA / "qalb").exists() or not CORPUS.exists(),
                                reason=f"shared GEC data or corpus not found at {DATA.parent}")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    from nahawi.cli.train import app

    out = tmp_path_factory.mktemp("prepared")
    result = CliRunner().invoke(app, ["prepare", "--smoke", "--out", str(out), "--data-root", str(DATA),
                                      "--corpus-root", str(CORPUS)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    return out, summary


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@needs_data
def test_smoke_writes_files_and_a_consistent_manifest(smoke):
    out, summary = smoke
    train, manifest = _records(out / "train.jsonl"), json.loads((out / "manifest.json").read_text())
    assert 2_000 <= len(train) == summary["train"] == manifest["counts"]["train"] <= 10_000
    assert Counter(r["origin"] for r in train) == manifest["counts"]["by_origin"]
    assert set(manifest["counts"]["by_origin"]) == {"real", "synth", "hamza", "identity"}
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert all("test" not in Path(p).name.lower() for p in manifest["inputs"])
    assert len(manifest["inputs"]) >= 6 and manifest["segmentation"]["pairs_in"] == 460
    assert json.loads((out / "prepare_config.json").read_text()) == manifest["config"]


@needs_data
def test_real_pairs_keep_punctuation_corpus_pairs_have_none(smoke):
    train = _records(smoke[0] / "train.jsonl")

    def has_punct(text):
        return any(all(is_punct_char(c) for c in token) for token in text.split())

    real = [r for r in train if r["origin"] == "real"]
    assert sum(has_punct(r["target"]) for r in real) > len(real) / 2
    def edge_punct(text):
        return any(is_punct_char(token[0]) or is_punct_char(token[-1]) for token in text.split())

    for r in train:
        if r["origin"] != "real":
            assert not edge_punct(r["source"]) and not edge_punct(r["target"]), r
        if r["origin"] == "identity":
            assert r["source"] == r["target"] and r["kind"] == "none"
        else:
            assert r["kind"]
        assert len(r["target"].split()) <= 60 and len(r["source"].split()) <= 63  # + at most 3 errors


@needs_data
def test_dev_is_qalb2014_dev_whole_documents(smoke):
    dev = _records(smoke[0] / "dev.jsonl")
    sources = (DATA / "qalb/2014/dev/QALB-2014-L1-Dev.sent.no_ids").read_text(encoding="utf-8").splitlines()
    assert [r["source"] for r in dev] == sources
    assert all(r["origin"] == "dev" and r["id"] for r in dev)


@needs_data
def test_smoke_is_deterministic(smoke, tmp_path):
    from training.data.prepare import SMOKE, prepare

    manifest = prepare(tmp_path, SMOKE, DATA, CORPUS, log=lambda *_: None)
    assert manifest["outputs"]["train.jsonl"] == json.loads((smoke[0] / "manifest.json").read_text())[
        "outputs"]["train.jsonl"]


def test_drop_punct_keeps_numbers_and_words_whole():
    from training.data.prepare import drop_punct

    assert drop_punct("قال : « نعم » ، (21 عامًا) 3.5 x.y.") == ["قال", "نعم", "21", "عامًا", "3.5", "x.y"]


def test_test_split_paths_are_refused(tmp_path):
    from training.data.prepare import SMOKE, prepare

    with pytest.raises(InputError, match="test-split"):
        prepare(tmp_path / "out", SMOKE, data_root=tmp_path / "qalb" / "test", corpus_root=tmp_path)


def test_config_rejects_unknown_keys_and_bad_shares():
    from training.data.prepare import PrepareConfig

    with pytest.raises(ConfigError, match="colour"):
        PrepareConfig.from_dict({"colour": 1})
    with pytest.raises(ConfigError):
        PrepareConfig(identity_share=0.6, hamza_share=0.5)
    assert PrepareConfig.from_dict({"corpus_files": ["a.gz"]}).corpus_files == ("a.gz",)
    assert PrepareConfig.from_dict({"calibrate_on": ["zaebuc"]}).calibrate_on == ("zaebuc",)
    for sets in ([], ["qalb14"]):
        with pytest.raises(ConfigError, match="calibrate_on"):
            PrepareConfig.from_dict({"calibrate_on": sets})


def test_restoration_pairs_keep_only_the_marks_the_tagger_restores():
    from nahawi.tags import MARKS
    from training.data.prepare import RESTORED_MARKS, restoration_pair

    assert RESTORED_MARKS == MARKS
    words, target = restoration_pair("قال الوزير : « إن المشروع ، الذي بدأ (2020) ، سينتهي قريبا » . . هل ؟")
    assert words == ["قال", "الوزير", "إن", "المشروع", "الذي", "بدأ", "2020", "سينتهي", "قريبا", "هل"]
    assert target == ["قال", "الوزير", ":", "إن", "المشروع", "،", "الذي", "بدأ", "2020", "،", "سينتهي", "قريبا",
                      ".", "هل", "؟"]
    assert restoration_pair("، أهلا") == (["أهلا"], ["أهلا"])  # a mark before any word is not restorable


@needs_data
def test_punct_share_adds_restoration_pairs_that_teach_marks(tmp_path):
    from dataclasses import replace

    from training.data.prepare import SMOKE, prepare
    from training.tagger_data import learns_marks

    manifest = prepare(tmp_path / "out", replace(SMOKE, punct_share=0.2, corpus_sentences=600,
                                                   write_dev=False), DATA, CORPUS, log=lambda *_: None)
    records = _records(tmp_path / "out" / "train.jsonl")
    punct = [r for r in records if r["origin"] == "punct"]
    assert manifest["counts"]["by_origin"]["punct"] == len(punct) > 0 and learns_marks("punct")
    for record in punct:
        assert not any(is_punct_char(t[0]) or is_punct_char(t[-1]) for t in record["source"].split())
        assert record["target"] != record["source"]
        assert [t for t in record["target"].split() if t not in "،.؟!:؛"] == record["source"].split()


@needs_data
def test_book_sentences_take_the_news_hamza_seats():
    """The books write some hamza seats the Cairo way (شئون, المسئولية); their sentences come out with the
    news' seats (شؤون), which are what the benchmarks mark right."""
    import random
    from dataclasses import replace

    from training.data.corpus_stream import hamza_seat_map
    from training.data.prepare import SMOKE, corpus_sentences

    seats = hamza_seat_map(CORPUS)
    books = replace(SMOKE, corpus_files=("hindawi_books.txt.gz",), max_paragraphs=4000, corpus_sentences=10**6)
    words = Counter(w for s in corpus_sentences(CORPUS, books, random.Random(0)) for w in s.split())
    assert seats and not set(words) & set(seats)
    assert sum(words[w] for w in set(seats.values())) > 0
    cairo = corpus_sentences(CORPUS, replace(books, news_hamza_seats=False), random.Random(0))
    assert {w for s in cairo for w in s.split()} & set(seats)  # the books do write them


@needs_data
def test_real_identity_pairs_are_the_annotators_text_kept_as_it_is(tmp_path):
    """real_identity_upsample: each real segment's corrected side, marks included, as a pair that changes
    nothing — taught like the real pairs (their marks too)."""
    from dataclasses import replace

    from training.data.prepare import SMOKE, prepare
    from training.tagger_data import learns_marks

    config = replace(SMOKE, corpus_sentences=300, write_dev=False, real_upsample=1, real_identity_upsample=2)
    prepare(tmp_path / "out", config, DATA, CORPUS, log=lambda *_: None)
    records = _records(tmp_path / "out" / "train.jsonl")
    real = [r for r in records if r["origin"] == "real"]
    corrected = Counter(r["target"] for r in real if r["source"] != r["target"])
    kept = Counter(r["source"] for r in real if r["source"] == r["target"] and r["kind"] == "none")
    assert corrected and learns_marks("real")
    assert all(kept[target] >= 2 for target in corrected)  # every corrected side, twice
    assert any(is_punct_char(ch) for target in kept for ch in target)  # with the annotators' marks
    with pytest.raises(ConfigError):
        replace(SMOKE, real_identity_upsample=-1)


@needs_data
def test_real_restoration_pairs_put_back_the_annotators_marks(tmp_path):
    """real_restoration_upsample: the corrected side with some of its marks taken out, to be put back — every
    other token as the annotators wrote it."""
    from dataclasses import replace

    from training.data.align import segment_pairs
    from training.data.prepare import RESTORED_MARKS, SMOKE, load_real, prepare, real_restoration_pairs

    config = replace(SMOKE, corpus_sentences=300, write_dev=False, real_upsample=1, real_restoration_upsample=3)
    real, _ = segment_pairs(load_real(DATA), config.max_words)
    pairs = real_restoration_pairs(real, config)
    assert pairs == real_restoration_pairs(real, config)  # its own seeded draw
    targets = {p.target for p in real}
    assert len(pairs) > len(real)  # most segments hold a mark after a word; three pairs each
    for pair in pairs:
        source, target = pair.source.split(), pair.target.split()
        assert pair.target in targets and pair.origin == "real" and pair.kind == "punctuation"
        assert len(source) < len(target)
        assert [t for t in target if t not in RESTORED_MARKS] == [t for t in source if t not in RESTORED_MARKS]
        assert _is_subsequence(source, target)
    prepare(tmp_path / "out", config, DATA, CORPUS, log=lambda *_: None)
    written = Counter((r["source"], r["target"]) for r in _records(tmp_path / "out" / "train.jsonl")
                      if r["kind"] == "punctuation" and r["origin"] == "real")
    assert not Counter((p.source, p.target) for p in pairs) - written  # every one of them, in the mix
    with pytest.raises(ConfigError):
        replace(SMOKE, real_restoration_drop=0.0)


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    tokens = iter(long)
    return all(any(token == t for t in tokens) for token in short)
