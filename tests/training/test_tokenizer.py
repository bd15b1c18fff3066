"""SentencePiece tokenizer: fixed special ids and an exact round trip on every line of the shared data."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nahawi.errors import InputError
from training.tokenizer import TokenizerConfig, load_tokenizer, roundtrip_failures, train_tokenizer

DATA = Path(os.environ.get("NAHAWI_SHARED", Path(__file__).resolve().parents[2] / ".." / "shared")) / "data"
CORPUS = DATA.parent / "corpus"
needs_data = pytest.mark.skipif(not (DATA / "qalb").exists(), reason=f"shared GEC data not found at {DATA}")

HAND = [
    "قال إن الولد ذهب إلى المدرسة .",
    "  مسافات  في البداية والنهاية  ",
    "سطر\tمع\tمسافات جدولة",
    "تشكيل: مُدَرِّسَةٌ وتطويـــل 😀 و emoji ٣.٥ ١٢٣",
    "",
    " ",
    "a  b   c",
    "«علامات» (أقواس) ؟ ، ؛ …",
]


@pytest.fixture(scope="module")
def processor(tmp_path_factory):
    out = tmp_path_factory.mktemp("tok")
    targets = HAND + ["ذهبت إلى السوق واشتريت خبزا", "أكد الوزير أن الاقتصاد ينمو"] * 50
    if (DATA / "zaebuc").exists():
        targets += (DATA / "zaebuc/train/train.sent.cor.pnx.tok").read_text(encoding="utf-8").splitlines()
    (out / "train.jsonl").write_text("".join(json.dumps({"source": t, "target": t}, ensure_ascii=False) + "\n"
                                             for t in targets), encoding="utf-8")
    corpus = [CORPUS / "mawdoo3_stories.txt.gz"] if (CORPUS / "mawdoo3_stories.txt.gz").exists() else []
    vocab = 1000 if corpus else 322  # without ../shared only the hand-written lines are there to learn from
    config = TokenizerConfig(vocab_size=vocab, corpus_lines=1500, input_sentence_size=20_000)
    summary = train_tokenizer(out, out / "spm.model", config, corpus, log=lambda *_: None)
    assert summary["special_ids"] == {"pad": 0, "unk": 1, "bos": 2, "eos": 3}
    return load_tokenizer(out / "spm.model")


def test_special_ids_are_fixed(processor):
    assert (processor.pad_id(), processor.unk_id(), processor.bos_id(), processor.eos_id()) == (0, 1, 2, 3)
    assert processor.get_piece_size() in (322, 1000)  # 322 without ../shared (hand-written lines only)


def test_roundtrip_exact_on_hand_written_strings(processor):
    assert roundtrip_failures(processor, HAND) == []
    assert processor.encode("كلمة", out_type=str)[0].startswith("▁")  # the dummy prefix is added …
    assert processor.decode(processor.encode(" كلمة")) == " كلمة"  # … and removed again, exactly once


def test_first_word_is_pieced_like_any_other(processor):
    alone = processor.encode("المدرسة", out_type=str)
    inside = processor.encode("إلى المدرسة", out_type=str)
    assert inside[-len(alone):] == alone


@needs_data
def test_roundtrip_exact_on_every_shared_data_line(processor):
    checked = 0
    for path in sorted(p for p in DATA.rglob("*") if p.is_file()):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        lines = text.split("\n")
        assert roundtrip_failures(processor, lines) == [], path
        checked += len(lines)
    assert checked > 50_000


def test_missing_training_data_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="nahawi train prepare"):
        train_tokenizer(tmp_path, tmp_path / "spm.model")
    with pytest.raises(InputError, match=".model"):
        train_tokenizer(tmp_path, tmp_path / "spm.bin")
