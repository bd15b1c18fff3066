"""Trainer: learns, resumes at the same step and data position (after a kill or SIGTERM), never runs code
from its run folder, and runs DDP on 2 CPU processes (gloo)."""
import gc
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs the 'train' extra (torch)")

from export.fixtures import tiny_corpus, train_tiny_tokenizer
from nahawi.errors import ModelError
from training.trainer import TrainConfig, Trainer, learning_rate

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("data")
    train_tiny_tokenizer(directory)
    with (directory / "train.jsonl").open("w", encoding="utf-8") as handle:
        for line in tiny_corpus(120):
            source = line.replace("أ", "ا").replace("ة ", "ه ")
            handle.write(json.dumps({"source": source, "target": line}, ensure_ascii=False) + "\n")
    return directory


def _config(data_dir, out, **overrides):
    values = dict(data_dir=str(data_dir), tokenizer=str(data_dir / "spm.model"), out_dir=str(out), model="test",
                  max_tokens=600, lr=3e-3, warmup_steps=2, max_steps=8, save_every=2, log_every=2,
                  eval_every=1000, label_smoothing=0.0, seed=5)
    values.update(overrides)
    return TrainConfig.from_dict(values)


def _weights(out):
    return torch.load(out / "last.pt", weights_only=True)["model_state_dict"]


def test_unknown_config_key_is_an_error():
    from nahawi.errors import ConfigError

    with pytest.raises(ConfigError, match="max_stepz"):
        TrainConfig.from_dict({"max_stepz": 3})
    with pytest.raises(ConfigError, match="target_pieces 'bpe'"):
        TrainConfig.from_dict({"target_pieces": "bpe"})


def test_schedule_warms_up_then_decays_to_zero():
    config = TrainConfig(lr=1.0, warmup_steps=10, max_steps=110)
    assert learning_rate(config, 0) == pytest.approx(0.1)
    assert learning_rate(config, 9) == pytest.approx(1.0)
    assert learning_rate(config, 60) == pytest.approx(0.5)
    assert learning_rate(config, 110) == pytest.approx(0.0)


def test_loss_goes_down(data_dir, tmp_path):
    trainer = Trainer(_config(data_dir, tmp_path / "run", max_steps=30))
    trainer.train()
    lines = [line for line in (tmp_path / "run" / "train.log").read_text().splitlines() if " loss " in line]
    first, last = (float(line.split(" loss ")[1].split()[0]) for line in (lines[0], lines[-1]))
    assert last < first - 0.5
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["train"]["max_steps"] == 30 and saved["model"]["d_model"] == 32


def test_a_run_with_aligned_target_pieces_trains_on_the_same_texts_cut_otherwise(data_dir, tmp_path):
    import sentencepiece as spm

    from training.batching import read_cache

    out = tmp_path / "run"
    Trainer(_config(data_dir, out, max_steps=4, target_pieces="aligned")).train()
    sp = spm.SentencePieceProcessor(model_file=str(data_dir / "spm.model"))
    records = [json.loads(line) for line in (data_dir / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    cache = next(out.glob("encoded-*.pt"))
    _, targets, _ = read_cache(cache, torch.load(cache, weights_only=True)["key"])
    assert [sp.decode(t.tolist()) for t in targets] == [r["target"] for r in records]
    assert any(t.tolist() != sp.encode(r["target"]) for t, r in zip(targets, records))


def test_killed_then_resumed_run_matches_an_uninterrupted_one(data_dir, tmp_path):
    Trainer(_config(data_dir, tmp_path / "straight")).train()
    Trainer(_config(data_dir, tmp_path / "resumed")).train(stop_at=4)  # as if killed after step 4's save
    state = Trainer(_config(data_dir, tmp_path / "resumed")).train()
    assert state["step"] == 8
    straight, resumed = _weights(tmp_path / "straight"), _weights(tmp_path / "resumed")
    assert all(torch.allclose(straight[k], resumed[k], atol=1e-6) for k in straight)
    assert "resumed from" in (tmp_path / "resumed" / "train.log").read_text()


def test_sigterm_saves_the_checkpoint_and_the_run_resumes_bit_identically(data_dir, tmp_path, monkeypatch):
    """SIGTERM used to lose up to save_every steps; now the run stops after the current step and saves."""
    Trainer(_config(data_dir, tmp_path / "straight", save_every=100)).train()
    trainer = Trainer(_config(data_dir, tmp_path / "stopped", save_every=100))
    after_step = trainer.after_step

    def terminate_at_step_3(*args):
        after_step(*args)
        if trainer.state["step"] == 3:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(trainer, "after_step", terminate_at_step_3)
    assert trainer.train()["step"] == 3
    assert torch.load(tmp_path / "stopped" / "last.pt", weights_only=True)["trainer_state"]["step"] == 3
    assert "stopped by SIGTERM after step 3" in (tmp_path / "stopped" / "train.log").read_text()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert Trainer(_config(data_dir, tmp_path / "stopped", save_every=100)).train()["step"] == 8
    straight, resumed = _weights(tmp_path / "straight"), _weights(tmp_path / "stopped")
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)


class Planted:
    """A pickle that, when loaded with code execution allowed, creates the file `marker`."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_planted_last_pt_is_refused_without_running_it(data_dir, tmp_path):
    run, marker = tmp_path / "run", tmp_path / "ran"
    run.mkdir()
    torch.save({"model_state_dict": {}, "optimizer": Planted(marker), "trainer_state": {}, "rng": None},
               run / "last.pt")
    with pytest.raises(ModelError, match="refused, loading it would execute code"):
        Trainer(_config(data_dir, run)).train()
    assert not marker.exists()


def test_a_planted_encoding_cache_is_not_run_and_not_used(data_dir, tmp_path):
    run, marker = tmp_path / "run", tmp_path / "ran"
    first = Trainer(_config(data_dir, run))
    caches = sorted(run.glob("encoded-*.pt"))
    assert caches
    for cache in caches:
        torch.save({"src": Planted(marker)}, cache)
    second = Trainer(_config(data_dir, run))
    assert not marker.exists()
    assert all(np.array_equal(a, b) for a, b in zip(first.sources, second.sources, strict=True))
    assert "re-encoded" in (run / "train.log").read_text()


def test_the_encoding_cache_is_keyed_by_tokenizer_content_and_checked(data_dir, tmp_path):
    import sentencepiece as spm

    from training.batching import cache_key, encode_pairs

    class OtherTokenizer:
        """Same vocabulary size, different model: its cache must not be shared."""

        def __init__(self, sp):
            self.sp = sp

        def __getattr__(self, name):
            return getattr(self.sp, name)

        def serialized_model_proto(self):
            return self.sp.serialized_model_proto() + b"x"

    sp = spm.SentencePieceProcessor(model_file=str(data_dir / "spm.model"))
    jsonl = data_dir / "train.jsonl"
    assert cache_key(jsonl, sp, 64) != cache_key(jsonl, OtherTokenizer(sp), 64) != cache_key(jsonl, sp, 65)
    sources, _, report = encode_pairs(jsonl, sp, 64, tmp_path)
    assert report["cache"].startswith("encoded and cached") and len(sources) == report["pairs"] - report["too_long"]
    assert encode_pairs(jsonl, sp, 64, tmp_path)[2]["cache"].startswith("read from")
    cache = next(tmp_path.glob("encoded-*.pt"))
    blob = torch.load(cache, weights_only=True)
    torch.save(dict(blob, key="0" * 64), cache)  # well-formed, but another data set's
    again, _, report = encode_pairs(jsonl, sp, 64, tmp_path)
    assert "not the cache of this data" in report["cache"]
    assert all(np.array_equal(a, b) for a, b in zip(sources, again, strict=True))


def test_a_truncated_last_pt_is_one_line_from_the_cli(data_dir, tmp_path):
    """It used to end in a raw traceback from torch.load."""
    run = tmp_path / "run"
    Trainer(_config(data_dir, run, max_steps=2)).train()
    data = (run / "last.pt").read_bytes()
    (run / "last.pt").write_bytes(data[: len(data) // 2])
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", "from nahawi.cli import main; main()", "train", "model",
                           "--data", str(data_dir), "--tokenizer", str(data_dir / "spm.model"), "--out", str(run),
                           "--model", "test", "--max-steps", "4", "--threads", "1",
                           "--data-root", str(tmp_path / "no-data")],
                          check=False, capture_output=True, text=True, timeout=300, env=env)
    errors = [line for line in done.stderr.splitlines() if line.startswith("nahawi: error:")]
    assert done.returncode == 2 and "Traceback" not in done.stderr
    expected = (f"nahawi: error: {run / 'last.pt'}: corrupt or truncated checkpoint "
                "(failed reading zip archive: failed finding central directory)")
    assert errors == [expected]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ddp_worker(rank: int, world: int, port: int, data_dir: str, out: str, terminated_rank: int = -1) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    trainer = Trainer(_config(Path(data_dir), out, max_steps=4))
    if rank == terminated_rank:
        after_step = trainer.after_step

        def terminate_at_step_2(*args, trainer=trainer):
            after_step(*args)
            if trainer.state["step"] == 2:
                os.kill(os.getpid(), signal.SIGTERM)

        trainer.after_step = terminate_at_step_2
    trainer.train()
    digest = sum(p.double().sum().item() for p in trainer.unwrapped().parameters())
    with open(os.path.join(out, f"rank{rank}.txt"), "w") as handle:
        handle.write(repr(digest))
    del trainer
    gc.collect()
    torch.distributed.destroy_process_group()


def test_ddp_on_two_cpu_processes_keeps_replicas_in_sync(data_dir, tmp_path):
    out = tmp_path / "ddp"
    out.mkdir()
    torch.multiprocessing.spawn(_ddp_worker, args=(2, _free_port(), str(data_dir), str(out)), nprocs=2)
    digests = [float((out / f"rank{r}.txt").read_text()) for r in range(2)]
    assert digests[0] == pytest.approx(digests[1], abs=1e-9)
    assert (out / "last.pt").exists()


def test_sigterm_to_one_ddp_rank_stops_every_rank_after_the_same_step(data_dir, tmp_path):
    out = tmp_path / "ddp"
    out.mkdir()
    torch.multiprocessing.spawn(_ddp_worker, args=(2, _free_port(), str(data_dir), str(out), 1), nprocs=2)
    digests = [float((out / f"rank{r}.txt").read_text()) for r in range(2)]
    assert digests[0] == pytest.approx(digests[1], abs=1e-9)
    assert torch.load(out / "last.pt", weights_only=True)["trainer_state"]["step"] == 2


def test_a_recipe_stage_stopped_by_sigterm_is_not_done_and_resumes(data_dir, tmp_path, monkeypatch, shared_root):
    """A stopped stage once counted as done: the recipe went on to LoRA on an untrained base. Now it stops
    the recipe, and the same call finishes the stage where it stopped."""
    from training.recipe import StageStopped, _train_stage

    values = dict(model="test", max_tokens=600, lr=3e-3, warmup_steps=2, max_steps=6, save_every=100,
                  log_every=2, eval_every=1000, label_smoothing=0.0, seed=5)
    after_step = Trainer.after_step

    def terminate_at_step_3(self, *args):
        after_step(self, *args)
        if self.state["step"] == 3:
            os.kill(os.getpid(), signal.SIGTERM)

    with monkeypatch.context() as patch:
        patch.setattr(Trainer, "after_step", terminate_at_step_3)
        with pytest.raises(StageStopped, match="stopped at step 3 of 6"):
            _train_stage(tmp_path, "base", values, data_dir, data_dir / "spm.model", shared_root / "data", "", print)
    assert not (tmp_path / "base" / "DONE").exists()
    _train_stage(tmp_path, "base", values, data_dir, data_dir / "spm.model", shared_root / "data", "", print)
    assert (tmp_path / "base" / "DONE").exists()
    assert torch.load(tmp_path / "base" / "last.pt", weights_only=True)["trainer_state"]["step"] == 6


def test_a_run_continued_from_its_snapshot_reads_on_at_the_snapshots_step(data_dir, tmp_path):
    """A seq2seq run's bf16 snapshot (what a session commits before its machine is lost) continues the run:
    the schedule's step and the data position are the run's, a fresh optimizer ramps up over stage_warmup."""
    from training.snapshot import write_snapshot

    Trainer(_config(data_dir, tmp_path / "straight", max_steps=12, save_every=100)).train(stop_at=5)
    straight = torch.load(tmp_path / "straight" / "last.pt", weights_only=True)["trainer_state"]
    manifest = write_snapshot(tmp_path / "straight" / "last.pt", tmp_path / "snapshot")
    snapshot = torch.load(tmp_path / "snapshot" / "model.pt", weights_only=True)
    assert manifest["step"] == snapshot["step"] == 5 and (tmp_path / "snapshot" / "spm.model").is_file()
    assert all(v.dtype == torch.bfloat16 for k, v in snapshot["model_state_dict"].items() if v.is_floating_point()
               and k != "pos_encoder.pe")
    # the manifest's dev score is the run's check of these weights, never an earlier step's
    payload = torch.load(tmp_path / "straight" / "last.pt", weights_only=True)
    for checked_step in (4, 5):
        payload["trainer_state"]["history"] = [{"step": checked_step, "no_punct": {"f0.5": 0.5}}]
        torch.save(payload, tmp_path / "checked.pt")
        dev = write_snapshot(tmp_path / "checked.pt", tmp_path / f"checked{checked_step}")["dev"]
        assert dev == (None if checked_step == 4 else {"step": 5, "no_punct": {"f0.5": 0.5}})
    config = _config(data_dir, tmp_path / "continued", max_steps=12, schedule_offset=5, stage_warmup=3,
                     init_checkpoint=str(tmp_path / "snapshot" / "model.pt"))
    continued, position = Trainer(config), ("step", "epoch", "batch")
    assert {k: continued.state[k] for k in position} == {k: straight[k] for k in position}
    plain = _config(data_dir, tmp_path, max_steps=12)
    assert learning_rate(config, 5) == pytest.approx(learning_rate(plain, 5) / 3)
    assert learning_rate(config, 8) == learning_rate(plain, 8)
    assert continued.train()["step"] == 12
    with pytest.raises(Exception, match="init_checkpoint must name it"):
        _config(data_dir, tmp_path / "x", schedule_offset=3)
