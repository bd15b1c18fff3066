"""The edit tagger trains on gold tags of real Arabic pairs, resumes exactly, loads safely and corrects
documents through the engine's own tag decisions; a trained tiny tagger fixes what it was taught."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from export.fixtures import tiny_corpus, train_tiny_tokenizer
from nahawi.errors import ConfigError
from nahawi.tags import TagPolicy
from training.tagger import TaggerConfig, TaggerTrainer, TokenTagger, epoch_batches, load_tagger

SHARED_DATA = Path(os.environ.get("NAHAWI_SHARED", Path(__file__).resolve().parents[2] / ".." / "shared")) / "data"
PAIRS = [
    ("قال ان الولد ذهب الى المدرسه", "قال إن الولد ذهب إلى المدرسة"),
    ("يجب ان نذهب الى البيت", "يجب أن نذهب إلى البيت"),
    ("ذهبت الى المدرسه و كتبت الدرس", "ذهبت إلى المدرسة ، وكتبت الدرس"),
    ("أكد الوزير ان الاقتصاد ينمو", "أكد الوزير أن الاقتصاد ينمو"),
]


@pytest.fixture(scope="module")
def run_inputs(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tagger_inputs")
    records = [{"source": s, "target": t, "origin": "real" if k % 2 else "synth"}
               for _ in range(30) for k, (s, t) in enumerate(PAIRS)]
    train = folder / "train.jsonl"
    train.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    lines = [t for _, t in PAIRS] + [s for s, _ in PAIRS]
    return train, train_tiny_tokenizer(folder / "spm", vocab_size=300, lines=tiny_corpus() + lines * 5)


def config(out: Path, inputs, **changes) -> TaggerConfig:
    train, tokenizer = inputs
    values = dict(out_dir=str(out), train=str(train), tokenizer=str(tokenizer), encoder="", model="test",
                  min_rewrite_count=1, batch_pieces=200, lr=3e-3, warmup_steps=5, log_every=5, save_every=5,
                  eval_every=10_000, dropout=0.0)
    return TaggerConfig(**{**values, **changes})


def quiet(*_):
    pass


def test_batches_respect_the_piece_budget_and_cover_every_example():
    lengths = np.random.default_rng(0).integers(5, 60, 1000)
    batches = epoch_batches(lengths, 400, np.random.default_rng(1))
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    assert all(len(b) * lengths[b].max() <= 400 for b in batches)
    again = epoch_batches(lengths, 400, np.random.default_rng(1))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))


def test_resumed_run_matches_the_uninterrupted_one(run_inputs, tmp_path):
    straight = TaggerTrainer(config(tmp_path / "straight", run_inputs), quiet)
    straight.train(stop_at=12)
    paused = TaggerTrainer(config(tmp_path / "paused", run_inputs), quiet)
    paused.train(stop_at=7)
    resumed = TaggerTrainer(config(tmp_path / "paused", run_inputs), quiet)
    resumed.train(stop_at=12)
    assert resumed.state["step"] == 12 and resumed.state["epoch"] == straight.state["epoch"]
    for (name, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items()):
        assert torch.equal(a, b), name


def test_trained_tagger_corrects_what_it_was_taught(run_inputs, tmp_path):
    trainer = TaggerTrainer(config(tmp_path / "run", run_inputs), quiet)
    trainer.train(stop_at=150)
    torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    model, vocab, payload = load_tagger(tmp_path / "run" / "last.pt")
    assert payload["step"] == 150 and vocab.word_tags == trainer.vocab.word_tags
    tagger = TokenTagger(model, trainer.sp, vocab)
    documents = [s.split() for s, _ in PAIRS]
    [corrected] = tagger.correct(documents, [TagPolicy(0.5, 0.5)])
    assert sum(out == t.split() for out, (_, t) in zip(corrected, PAIRS)) >= 3
    [untouched] = tagger.correct(documents, [TagPolicy(1.01, 1.01)])  # nothing reaches the thresholds
    assert untouched == documents


@pytest.mark.skipif(not (SHARED_DATA / "qalb" / "2014" / "dev").exists(), reason="QALB-2014 dev not found")
def test_dev_evaluation_sweeps_thresholds_on_real_documents(run_inputs, tmp_path):
    from training.evaluate import load_qalb14_dev
    from training.tagger import MARK_THRESHOLDS, WORD_THRESHOLDS, evaluate_on_dev

    trainer = TaggerTrainer(config(tmp_path / "run", run_inputs), quiet)
    tagger = TokenTagger(trainer.model, trainer.sp, trainer.vocab)
    scores = evaluate_on_dev(tagger, load_qalb14_dev(SHARED_DATA, 3), quiet)
    assert len(scores["sweep"]) == len(WORD_THRESHOLDS) + len(MARK_THRESHOLDS) - 1
    assert 0.0 <= scores["with_punct"]["f0.5"] <= 1.0 and "no_punct" in scores
    assert "with_punct" in scores["two_passes"] and tagger.cache is None  # the sweep's probabilities are not kept


@pytest.mark.skipif(not (SHARED_DATA / "qalb" / "2014" / "dev").exists(), reason="QALB-2014 dev not found")
def test_score_tagger_command_prints_the_dev_report(tmp_path):
    from typer.testing import CliRunner

    from export.fixtures import train_tiny_tagger
    from nahawi.cli.train import app

    checkpoint = train_tiny_tagger(tmp_path, steps=20)
    result = CliRunner().invoke(app, ["score-tagger", "--checkpoint", str(checkpoint), "--docs", "2",
                                      "--data-root", str(SHARED_DATA)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert set(report) == {"policy", "with_punct", "no_punct", "two_passes"}


def test_a_second_stage_starts_from_a_tagger_and_teaches_marks_of_the_chosen_origins_only(run_inputs, tmp_path):
    from training.tagger_data import IGNORE

    first = TaggerTrainer(config(tmp_path / "first", run_inputs), quiet)
    first.train(stop_at=10)
    both = first.examples.mark_labels != IGNORE
    second = TaggerTrainer(config(tmp_path / "second", run_inputs, init_tagger=str(tmp_path / "first" / "last.pt"),
                                  mark_origins=("synth",)), quiet)
    for (name, a), (_, b) in zip(first.model.state_dict().items(), second.model.state_dict().items()):
        assert torch.equal(a, b), name
    taught = second.examples.mark_labels != IGNORE
    assert taught.any() and both.any() and not (taught & both).any()  # real pairs' marks no longer taught
    assert second.encoder_info["init_tagger"] == str(tmp_path / "first" / "last.pt")
    other = tmp_path / "other.jsonl"  # other pairs give other tags: refused, not mapped onto the wrong classes
    other.write_text(json.dumps({"source": "ذهب الولد الى البيت", "target": "ذهب الولد إلى البيت",
                                 "origin": "real"}, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="other tags"):
        TaggerTrainer(config(tmp_path / "third", (other, run_inputs[1]),
                             init_tagger=str(tmp_path / "first" / "last.pt")), quiet)


def test_a_second_stage_on_new_pairs_keeps_the_taggers_tags(run_inputs, tmp_path):
    """init_tags: new pairs are encoded with the starting tagger's vocabulary (its heads' classes); a rewrite
    that vocabulary lacks is not taught, never mapped onto another class."""
    from nahawi.tag_derive import derive_tags
    from nahawi.tags import KEEP
    from training.tagger_data import IGNORE

    first = TaggerTrainer(config(tmp_path / "first", run_inputs), quiet)
    first.train(stop_at=5)
    other = tmp_path / "other.jsonl"
    pairs = [("ذهب الولد الى البيت", "ذهب الولد إلى البيت"), ("كتب الطالب الدرس", "كتب التلميذ الدرس")]
    other.write_text("".join(json.dumps({"source": s, "target": t, "origin": "synth"}, ensure_ascii=False) + "\n"
                             for s, t in pairs * 4), encoding="utf-8")
    second = TaggerTrainer(config(tmp_path / "second", (other, run_inputs[1]), init_tags=True,
                                  init_tagger=str(tmp_path / "first" / "last.pt")), quiet)
    assert second.vocab.to_json() == first.vocab.to_json()
    hamza, rewrite = (derive_tags(s.split(), t.split()) for s, t in pairs)
    taught = [first.vocab.word_id(t.word) for t in hamza if t.word != KEEP]
    assert taught and None not in taught  # الى → إلى: a class of the first run
    assert [first.vocab.word_id(t.word) for t in rewrite if t.word != KEEP] == [None]  # الطالب → التلميذ: none
    labels = second.examples.word_labels
    assert (labels == taught[0]).sum() == 4 and (labels[labels != IGNORE] < len(first.vocab)).all()
    second.train(stop_at=2)


def test_a_stage_continuing_a_run_goes_on_with_its_rate_after_a_short_warm_up(tmp_path):
    from training.tagger import learning_rate

    run = TaggerConfig(lr=3e-4, warmup_steps=500)
    stage = TaggerConfig(lr=3e-4, warmup_steps=500, schedule_offset=7000, stage_warmup=100)
    assert learning_rate(stage, 0) == pytest.approx(learning_rate(run, 7000) / 100)
    assert learning_rate(stage, 49) == pytest.approx(learning_rate(run, 7049) / 2)
    for step in (100, 1000, 5000):
        assert learning_rate(stage, step) == learning_rate(run, 7000 + step)
    assert learning_rate(run, 7000) == pytest.approx(3e-4 * (500 / 7000) ** 0.5)


def test_training_maps_large_blocks_where_the_c_library_is_glibc():
    """A run's heap no longer fragments over hours of batches of changing widths (training.heap): once an
    8 MB block has been freed, glibc keeps the next 2 MB block in its heap — unless large blocks are mapped."""
    import platform
    import subprocess
    import sys

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc only")
    code = """
import ctypes, sys
from training.heap import map_large_blocks
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]
libc.mallinfo2.restype = Info
mapped = sys.argv[1] == "map" and map_large_blocks()
libc.free(libc.malloc(8 << 20))
block = libc.malloc(2 << 20)
print(mapped, libc.mallinfo2().hblks)
"""
    runs = [subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[2]).stdout.split() for mode in ("map", "heap")]
    (mapped, with_map), (_, without) = runs
    assert mapped == "True" and int(with_map) > int(without)


def test_a_snapshot_is_half_the_weights_and_a_later_run_starts_from_it(run_inputs, tmp_path):
    """`training.snapshot`: bf16 weights, the tags and the tokenizer's own file beside them; a stage started
    from it (tokenizer = the snapshot's) holds those weights, and training goes on."""
    from training.snapshot import write_snapshot

    first = TaggerTrainer(config(tmp_path / "first", run_inputs), quiet)
    first.train(stop_at=5)
    manifest = write_snapshot(tmp_path / "first" / "last.pt", tmp_path / "snap")
    snap = tmp_path / "snap"
    assert manifest["step"] == 5 and (snap / "spm.model").read_bytes() == run_inputs[1].read_bytes()
    payload = torch.load(snap / "tagger.pt", weights_only=True)
    assert "optimizer" not in payload and payload["tags"] == first.vocab.to_json()
    assert payload["model_state_dict"]["word_head.weight"].dtype == torch.bfloat16
    torch.save(first.model.state_dict(), tmp_path / "fp32.pt")
    assert (snap / "tagger.pt").stat().st_size < 0.6 * (tmp_path / "fp32.pt").stat().st_size

    stage = TaggerTrainer(config(tmp_path / "stage", (run_inputs[0], snap / "spm.model"), init_tags=True,
                                 init_tagger=str(snap / "tagger.pt"), schedule_offset=5, stage_warmup=2), quiet)
    for key, value in first.model.state_dict().items():
        expected = value if key == "pos_encoder.pe" else value.to(torch.bfloat16).float()
        assert torch.equal(stage.model.state_dict()[key], expected), key
    stage.train(stop_at=2)
    assert stage.state["step"] == 2

    # the stage's snapshot, written over the one it started from, counts the whole run's steps
    again = write_snapshot(tmp_path / "stage" / "last.pt", snap)
    assert again["step"] == 7 and torch.load(snap / "tagger.pt", weights_only=True)["step"] == 7
    assert (snap / "spm.model").read_bytes() == run_inputs[1].read_bytes()

    # a checkpoint from a trainer that did not record its offset: the run's config.json beside it has it
    legacy = torch.load(tmp_path / "stage" / "last.pt", weights_only=True)
    del legacy["schedule_offset"], legacy["tagger_config"]
    torch.save(legacy, tmp_path / "stage" / "legacy.pt")
    assert write_snapshot(tmp_path / "stage" / "legacy.pt", tmp_path / "snap2")["step"] == legacy["step"] + 5
