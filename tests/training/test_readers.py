"""Readers and segmentation: hand-written QALB/M2/TSV/JSONL/gzip files plus the real shared data."""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from nahawi.errors import InputError, M2FormatError
from training.data.align import segment_pairs, segment_texts
from training.data.readers import (
    Pair,
    apply_m2,
    guard_not_test,
    iter_monolingual,
    read_m2,
    read_m2_pairs,
    read_parallel,
    read_qalb_lines,
    read_qalb_pairs,
    read_zaebuc_pairs,
)

DATA = Path(os.environ.get("NAHAWI_SHARED", Path(__file__).resolve().parents[2] / ".." / "shared")) / "data"
needs_data = pytest.mark.skipif(not (DATA / "qalb").exists(), reason=f"shared GEC data not found at {DATA}")

M2_TEXT = """S قال ان الولد ذهب الى المدرسه
A 1 2|||Edit|||أن|||REQUIRED|||-NONE-|||0
A 4 5|||Edit|||إلى|||REQUIRED|||-NONE-|||0
A 5 6|||Edit|||المدرسة|||REQUIRED|||-NONE-|||0
A 6 6|||Add_before|||.|||REQUIRED|||-NONE-|||0
A 1 2|||Edit|||إن|||REQUIRED|||-NONE-|||1

S هذا نص صحيح
A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0

S و كتب الطالب الدرس
A 0 2|||Merge|||وكتب|||REQUIRED|||-NONE-|||0
A 3 4|||Delete||||||REQUIRED|||-NONE-|||0
"""


def test_m2_applies_annotator_zero_edits(tmp_path):
    path = tmp_path / "x.m2"
    path.write_text(M2_TEXT, encoding="utf-8")
    pairs = read_m2_pairs(path)
    assert [p.target for p in pairs] == ["قال أن الولد ذهب إلى المدرسة .", "هذا نص صحيح", "وكتب الطالب"]
    assert read_m2_pairs(path, annotator=1)[0].target == "قال إن الولد ذهب الى المدرسه"
    assert read_m2(path)[1].edits == ()


def test_m2_offsets_count_whitespace_tokens():
    from training.data.readers import M2Sentence

    assert apply_m2(M2Sentence("أ  ب   ج", ((1, 2, "Edit", "د"),))) == "أ د ج"


def test_malformed_m2_names_file_and_line(tmp_path):
    path = tmp_path / "bad.m2"
    path.write_text("S أ ب\nA x y|||Edit|||ج|||REQUIRED|||-NONE-|||0\n", encoding="utf-8")
    with pytest.raises(M2FormatError, match="bad.m2:2"):
        read_m2(path)


def test_qalb_ids_and_no_ids(tmp_path):
    (tmp_path / "d.sent").write_text("doc_1.ar ذهبت الى السوق\ndoc_2.ar نص\n", encoding="utf-8")
    (tmp_path / "d.cor").write_text("S ذهبت إلى السوق .\nS نص\n", encoding="utf-8")
    (tmp_path / "d.sent.no_ids").write_text("ذهبت الى السوق\nنص\n", encoding="utf-8")
    assert read_qalb_lines(tmp_path / "d.sent")[0] == ("doc_1.ar", "ذهبت الى السوق")
    assert read_qalb_lines(tmp_path / "d.sent.no_ids")[0] == ("", "ذهبت الى السوق")
    pairs = read_qalb_pairs(tmp_path / "d.sent", tmp_path / "d.cor")
    assert pairs[0] == Pair("ذهبت الى السوق", "ذهبت إلى السوق .", "real", doc_id="doc_1.ar")


def test_parallel_tsv_jsonl_and_gzip_monolingual(tmp_path):
    (tmp_path / "p.tsv").write_text("ان\tأن\n\nالى\tإلى\n", encoding="utf-8")
    (tmp_path / "p.jsonl").write_text(json.dumps({"source": "فى", "target": "في"}, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    with gzip.open(tmp_path / "c.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("فقرة أولى.\n\n  فقرة ثانية  \n")
    assert [(p.source, p.target) for p in read_parallel(tmp_path / "p.tsv")] == [("ان", "أن"), ("الى", "إلى")]
    assert read_parallel(tmp_path / "p.jsonl")[0].target == "في"
    assert list(iter_monolingual(tmp_path / "c.txt.gz")) == ["فقرة أولى.", "فقرة ثانية"]
    (tmp_path / "bad.tsv").write_text("a\tb\tc\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad.tsv:1"):
        read_parallel(tmp_path / "bad.tsv")


TEST_PATHS = ["qalb/2014/test/QALB-2014-L1-Test.m2", "/x/Test/a.m2", "zaebuc/test.sent.raw", "a/TEST",
              "data/QALB-2014-L1-Test.sent.no_ids"]


@pytest.mark.parametrize("path", TEST_PATHS)
def test_guard_refuses_test_splits(path):
    with pytest.raises(InputError, match="test-split"):
        guard_not_test(path)


def test_guard_allows_train_and_dev():
    assert guard_not_test("qalb/2015/train/QALB-2015-L2-Train.m2").name.endswith(".m2")
    assert guard_not_test("work/latest/contest_words.txt")  # "test" inside a word is not a split


def test_segments_cut_where_both_sides_agree():
    source = "ذهبت الى السوق . اشتريت خبزا و ماء . ثم رجعت الى البيت"
    target = "ذهبت إلى السوق . اشتريت خبزا وماء . ثم رجعت إلى البيت ."
    segments = segment_texts(source, target, max_words=6)
    assert [s.source for s in segments] == ["ذهبت الى السوق .", "اشتريت خبزا و ماء .", "ثم رجعت الى البيت"]
    assert [s.target for s in segments] == ["ذهبت إلى السوق .", "اشتريت خبزا وماء .", "ثم رجعت إلى البيت ."]
    assert all(s.fits for s in segments)


def test_over_budget_piece_is_flagged_and_counted_not_truncated():
    source = "أ ب ج د ه و ز ح"
    target = "1 2 3 4 5 6 7 8"  # nothing agrees: no cut point inside
    segments = segment_texts(source, target, max_words=4)
    assert len(segments) == 1 and not segments[0].fits and segments[0].source == source
    kept, report = segment_pairs([Pair(source, target, "real")], max_words=4)
    assert kept == [] and report.dropped == {"over_budget": 1}


def _assert_lossless(pairs, max_words):
    for pair in pairs:
        segments = segment_texts(pair.source, pair.target, max_words)
        assert " ".join(s.source for s in segments).split() == pair.source.split()
        assert " ".join(s.target for s in segments).split() == pair.target.split()
        assert all(s.source and s.target for s in segments)


@needs_data
def test_real_qalb_and_zaebuc_read_and_segment_losslessly():
    qalb = read_m2_pairs(DATA / "qalb/2015/train/QALB-2015-L2-Train.m2")
    no_ids = read_qalb_lines(DATA / "qalb/2015/train/QALB-2015-L2-Train.sent.no_ids")
    assert len(qalb) == len(no_ids) == 310
    assert all(p.source == s for p, (_, s) in zip(qalb, no_ids))
    zaebuc = read_zaebuc_pairs(DATA / "zaebuc", "train")
    assert len(zaebuc) == 150 and all(p.source and p.target for p in zaebuc)
    _assert_lossless(qalb + zaebuc, 60)
    kept, report = segment_pairs(qalb + zaebuc, 60)
    assert report.pairs_in == 460 and report.segments_out == len(kept) > 460
    assert all(max(len(p.source.split()), len(p.target.split())) <= 60 for p in kept)


@needs_data
def test_real_dev_sources_match_m2_s_lines():
    gold = read_m2_pairs(DATA / "qalb/2014/dev/QALB-2014-L1-Dev.m2")
    sources = read_qalb_lines(DATA / "qalb/2014/dev/QALB-2014-L1-Dev.sent.no_ids")
    assert [p.source for p in gold] == [s for _, s in sources]
