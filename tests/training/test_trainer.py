"""Trainer: learns, resumes at the same step and data position, and runs DDP on 2 CPU processes (gloo)."""
import json
import os
import socket
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="needs the 'train' extra (torch)")

from export.fixtures import tiny_corpus, train_tiny_tokenizer
from training.trainer import TrainConfig, Trainer, learning_rate


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
    return torch.load(out / "last.pt", weights_only=False)["model_state_dict"]


def test_unknown_config_key_is_an_error():
    from nahawi.errors import ConfigError

    with pytest.raises(ConfigError, match="max_stepz"):
        TrainConfig.from_dict({"max_stepz": 3})


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


def test_killed_then_resumed_run_matches_an_uninterrupted_one(data_dir, tmp_path):
    Trainer(_config(data_dir, tmp_path / "straight")).train()
    Trainer(_config(data_dir, tmp_path / "resumed")).train(stop_at=4)  # as if killed after step 4's save
    state = Trainer(_config(data_dir, tmp_path / "resumed")).train()
    assert state["step"] == 8
    straight, resumed = _weights(tmp_path / "straight"), _weights(tmp_path / "resumed")
    assert all(torch.allclose(straight[k], resumed[k], atol=1e-6) for k in straight)
    assert "resumed from" in (tmp_path / "resumed" / "train.log").read_text()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ddp_worker(rank: int, world: int, port: int, data_dir: str, out: str) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    trainer = Trainer(_config(Path(data_dir), out, max_steps=4))
    trainer.train()
    digest = sum(p.double().sum().item() for p in trainer.unwrapped().parameters())
    with open(os.path.join(out, f"rank{rank}.txt"), "w") as handle:
        handle.write(repr(digest))
    torch.distributed.destroy_process_group()


def test_ddp_on_two_cpu_processes_keeps_replicas_in_sync(data_dir, tmp_path):
    out = tmp_path / "ddp"
    out.mkdir()
    torch.multiprocessing.spawn(_ddp_worker, args=(2, _free_port(), str(data_dir), str(out)), nprocs=2)
    digests = [float((out / f"rank{r}.txt").read_text()) for r in range(2)]
    assert digests[0] == pytest.approx(digests[1], abs=1e-9)
    assert (out / "last.pt").exists()
