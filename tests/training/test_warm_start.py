"""Warm start of the seq2seq from an encoder.pt written by a real (tiny) pretraining run: the encoder,
embeddings and the first decoder layers' self-attention/FFN start from it, training runs, and an encoder or a
tokenizer that does not fit is a clear ConfigError before any step."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="needs the 'train' extra (torch)")

from export.fixtures import tiny_corpus
from nahawi.errors import ConfigError
from training.data.corpus_stream import StreamConfig
from training.pretrain import PretrainConfig, Pretrainer, load_encoder
from training.trainer import TrainConfig, Trainer


@pytest.fixture(scope="module")
def encoder_run(tmp_path_factory) -> Path:
    """A 3-step masked-LM pretraining of the `test` preset on a tiny Arabic corpus; its folder."""
    root = tmp_path_factory.mktemp("corpus")
    with gzip.open(root / "news.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(tiny_corpus(300)) + "\n")
    out = tmp_path_factory.mktemp("encoder")
    config = PretrainConfig(out_dir=str(out), model="test", tokenizer_vocab=400, tokenizer_lines=1000,
                            stream=StreamConfig(files=("news.txt.gz",), held_out=20), seq_len=32, batch_size=4,
                            warmup_steps=2, log_every=1, save_every=3, eval_every=3, eval_windows=8, bf16=False)
    Pretrainer(config, root, log=lambda *_: None).train(stop_at=3)
    assert (out / "encoder.pt").is_file()
    return out


@pytest.fixture(scope="module")
def pairs(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("pairs")
    with (directory / "train.jsonl").open("w", encoding="utf-8") as handle:
        for line in tiny_corpus(80):
            source = line.replace("أ", "ا").replace("ة ", "ه ")
            handle.write(json.dumps({"source": source, "target": line}, ensure_ascii=False) + "\n")
    return directory


def _config(pairs: Path, encoder_run: Path, out: Path, **changes) -> TrainConfig:
    values = dict(data_dir=str(pairs), tokenizer=str(encoder_run / "spm.model"), out_dir=str(out), model="test",
                  init_encoder=str(encoder_run / "encoder.pt"), max_tokens=600, lr=3e-3, warmup_steps=2,
                  max_steps=3, save_every=100, log_every=1, eval_every=1000, label_smoothing=0.0, bf16=False)
    return TrainConfig.from_dict({**values, **changes})


def test_warm_start_loads_the_encoder_and_training_runs(pairs, encoder_run, tmp_path):
    encoder, _, _ = load_encoder(encoder_run / "encoder.pt")
    trainer = Trainer(_config(pairs, encoder_run, tmp_path / "run"))
    model = trainer.model.state_dict()
    for key, value in encoder.items():
        if key != "pos_encoder.pe":
            assert torch.equal(model[key], value), key
    assert torch.equal(model["output_projection.weight"], encoder["embedding.weight"])  # tied
    for target, source in (("self_attn.in_proj_weight", "self_attn.in_proj_weight"),
                           ("linear1.weight", "linear1.weight"), ("norm3.weight", "norm2.weight")):
        for layer in (0, 1):
            assert torch.equal(model[f"decoder.layers.{layer}.{target}"],
                               encoder[f"encoder.layers.{layer}.{source}"])
    assert not torch.equal(model["decoder.layers.0.multihead_attn.in_proj_weight"],
                           encoder["encoder.layers.0.self_attn.in_proj_weight"])  # cross-attention: random
    recorded = json.loads((tmp_path / "run" / "config.json").read_text(encoding="utf-8"))["warm_start"]
    assert "decoder.layers.0.multihead_attn" in recorded["random"]
    assert "decoder.layers.1.self_attn" in recorded["loaded"] and recorded["step"] == 3
    assert "warm start from" in (tmp_path / "run" / "train.log").read_text(encoding="utf-8")
    state = trainer.train()
    assert state["step"] == 3
    after = torch.load(tmp_path / "run" / "last.pt", weights_only=True)["model_state_dict"]
    assert not torch.equal(after["encoder.layers.0.linear1.weight"], encoder["encoder.layers.0.linear1.weight"])


def test_an_encoder_of_another_width_is_a_clear_error(pairs, encoder_run, tmp_path):
    with pytest.raises(ConfigError, match=r"does not fit the seq2seq: d_model 32 \(the seq2seq has 256\)"):
        Trainer(_config(pairs, encoder_run, tmp_path / "run", model="tiny"))


def test_a_tokenizer_other_than_the_encoders_is_a_clear_error(pairs, encoder_run, tmp_path):
    from training.tokenizer import TokenizerConfig, train_on_lines

    other = tmp_path / "other.model"  # the pretraining's settings and size, trained on other lines
    train_on_lines(tiny_corpus(300, seed=9)[100:], other,
                   TokenizerConfig(vocab_size=400, corpus_lines=1000, control_symbols=("<mask>",)), lambda *_: None)
    with pytest.raises(ConfigError, match="the tokenizer must be the encoder's"):
        Trainer(_config(pairs, encoder_run, tmp_path / "run", tokenizer=str(other)))


def test_warm_start_and_init_checkpoint_together_is_an_error(pairs, encoder_run, tmp_path):
    with pytest.raises(ConfigError, match="choose one"):
        Trainer(_config(pairs, encoder_run, tmp_path / "run",
                        init_checkpoint=str(encoder_run / "encoder.pt")))


def test_the_warm_recipe_fits_the_encoder_small_shape():
    from training.config import preset
    from training.recipe import Recipe
    from training.warm_start import check_fits

    recipe = Recipe.load("seq2seq_warm")
    config = TrainConfig.from_dict(recipe.train)
    assert config.init_encoder and 1 <= preset(config.model).num_decoder_layers <= 2
    check_fits(preset("encoder-small"), preset(config.model), config.init_encoder)


def test_warm_start_from_an_edit_taggers_encoder(pairs, encoder_run, tmp_path):
    """A tagger checkpoint holds the same encoder under the same names, trained on corrections: its encoder
    starts the seq2seq, its word and mark heads are left out, and its tokenizer is checked like a
    pretraining run's."""
    from training.tagger import TaggerConfig, TaggerTrainer

    tagger_dir = tmp_path / "tagger"
    TaggerTrainer(TaggerConfig(out_dir=str(tagger_dir), train=str(pairs / "train.jsonl"),
                               tokenizer=str(encoder_run / "spm.model"), encoder="", model="test",
                               min_rewrite_count=1, batch_pieces=300, warmup_steps=2, log_every=1, save_every=2,
                               eval_every=10_000, dropout=0.0, bf16=False), lambda *_: None).train(stop_at=2)
    tagger = torch.load(tagger_dir / "last.pt", weights_only=True)["model_state_dict"]
    encoder, _, _ = load_encoder(tagger_dir / "last.pt")
    assert not any(key.startswith(("word_head", "mark_head")) for key in encoder)
    assert set(encoder) == {key for key in tagger if not key.startswith(("word_head", "mark_head"))}

    model = Trainer(_config(pairs, encoder_run, tmp_path / "run", init_encoder=str(tagger_dir / "last.pt")))
    state = model.model.state_dict()
    assert torch.equal(state["encoder.layers.1.linear2.weight"], tagger["encoder.layers.1.linear2.weight"])
    assert torch.equal(state["decoder.layers.0.linear1.weight"], tagger["encoder.layers.0.linear1.weight"])

    from training.tokenizer import TokenizerConfig, train_on_lines

    other = tmp_path / "other.model"
    train_on_lines(tiny_corpus(300, seed=9)[100:], other,
                   TokenizerConfig(vocab_size=400, corpus_lines=1000, control_symbols=("<mask>",)), lambda *_: None)
    with pytest.raises(ConfigError, match="the tokenizer must be the encoder's"):
        Trainer(_config(pairs, encoder_run, tmp_path / "run2", init_encoder=str(tagger_dir / "last.pt"),
                        tokenizer=str(other)))
