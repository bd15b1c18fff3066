"""Encoder pretraining on a real (tiny) corpus folder: the stream takes the news' hamza seats for the books,
masking hides whole words, a resumed run is step-for-step the run that never stopped, and the snapshot loads
safely into the encoder the tagger and the seq2seq share."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from export.fixtures import tiny_corpus
from training.data.corpus_stream import StreamConfig, build_stream, open_stream
from training.model import Seq2SeqTransformer, TextEncoder
from training.pretrain import Masker, PretrainConfig, Pretrainer, load_encoder

BOOK_LINE = "قال مسئول في الوزارة إن المشروع سيبدأ قريبا"


@pytest.fixture(scope="module")
def corpus_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    lines = tiny_corpus(300)
    with gzip.open(root / "news.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines[:200]) + "\n")
    with gzip.open(root / "hindawi_books.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join([BOOK_LINE, *lines[200:]]) + "\n")
    (root / "hindawi_hamza_seat_variants.tsv").write_text(
        "book_form\tbook_count\tnews_form\tnews_count\tnews_count_of_book_form\n"
        "مسئول\t40\tمسؤول\t900\t3\n"
        "رءوس\t10\tرؤوس\t2\t5\n",  # the news do not prefer their form here: left alone
        encoding="utf-8")
    return root


def config(out: Path, **changes) -> PretrainConfig:
    stream = StreamConfig(files=("hindawi_books.txt.gz", "news.txt.gz"), held_out=20)
    values = dict(out_dir=str(out), model="test", tokenizer_vocab=400, tokenizer_lines=1000, stream=stream,
                  seq_len=32, batch_size=4, warmup_steps=2, log_every=1, save_every=2, eval_every=3,
                  eval_windows=8, bf16=False)
    return PretrainConfig(**{**values, **changes})


def test_stream_uses_news_hamza_seats_and_is_cached(corpus_root, tmp_path):
    import sentencepiece as spm

    trainer = Pretrainer(config(tmp_path / "run"), corpus_root, log=lambda *_: None)
    sp = trainer.sp
    assert sp.piece_to_id("<mask>") == 4 and sp.is_control(4)
    text = sp.decode(open_stream(tmp_path / "run" / "stream").tolist()[:60])
    assert "مسؤول" in text and "مسئول" not in text
    assert len(open_stream(tmp_path / "run" / "stream", "held_out")) > 0
    meta = build_stream(corpus_root, tmp_path / "run" / "spm.model", tmp_path / "run" / "stream",
                        trainer.config.stream, log=pytest.fail)  # same key: nothing rebuilt, nothing logged
    assert meta["files"]["hindawi_books.txt.gz"]["paragraphs"] == 101
    assert isinstance(sp, spm.SentencePieceProcessor)


def test_masking_hides_whole_words(corpus_root, tmp_path):
    trainer = Pretrainer(config(tmp_path / "run"), corpus_root, log=lambda *_: None)
    masker = Masker(trainer.sp, 0.3)
    words = ["المشروع", "الحكومة", "المدارس", "الاجتماع"] * 8
    ids = np.array([[2, *(i for w in words for i in trainer.sp.encode(w)), 3]])
    inputs, masked = masker(ids, np.random.default_rng(0))
    assert masked.any() and not masked[0, 0] and not masked[0, -1]
    word_index = np.cumsum(masker.word_start[ids], axis=1)
    for w in np.unique(word_index[masked]):
        assert masked[word_index == w].all()  # every piece of a chosen word
    assert (inputs[~masked] == ids[~masked]).all()


def test_resumed_run_matches_the_uninterrupted_one(corpus_root, tmp_path):
    straight = Pretrainer(config(tmp_path / "straight"), corpus_root, log=lambda *_: None)
    straight.train(stop_at=6)
    paused = Pretrainer(config(tmp_path / "paused"), corpus_root, log=lambda *_: None)
    paused.train(stop_at=4)
    resumed = Pretrainer(config(tmp_path / "paused"), corpus_root, log=lambda *_: None)
    resumed.train(stop_at=6)
    assert resumed.state["step"] == 6 and resumed.state["tokens"] == straight.state["tokens"]
    for (name, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items()):
        assert torch.equal(a, b), name
    assert [h["step"] for h in resumed.state["history"]] == [3, 6]
    assert resumed.state["history"][-1]["loss"] == pytest.approx(straight.state["history"][-1]["loss"])


def test_encoder_snapshot_loads_safely_into_both_models(corpus_root, tmp_path):
    trainer = Pretrainer(config(tmp_path / "run"), corpus_root, log=lambda *_: None)
    trainer.train(stop_at=3)
    state, model_config, payload = load_encoder(tmp_path / "run" / "encoder.pt")
    assert payload["step"] == 3 and "loss" in payload["held_out"]
    assert not any(k.startswith("mlm_") for k in state)
    torch.load(tmp_path / "run" / "encoder.pt", weights_only=True)  # plain tensors and dicts only
    encoder = TextEncoder(model_config)
    encoder.load_state_dict(state)
    seq2seq = Seq2SeqTransformer(model_config)
    missing, unexpected = seq2seq.load_state_dict(state, strict=False)
    assert not unexpected and all(k.startswith(("decoder.", "output_projection.")) for k in missing)  # the warm start of the seq2seq
    ids = torch.tensor([[2, 10, 11, 12, 3]])
    assert torch.allclose(encoder.encode(ids), seq2seq.encode(ids))
