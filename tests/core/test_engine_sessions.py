"""ONNX Runtime sessions: provider choice with an honest notice, thread settings, clear errors, and no
telemetry."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import onnxruntime as ort
import pytest

from nahawi.engine.sessions import CUDA, open_model, resolve_threads
from nahawi.errors import InputError, ModelError

REPO = Path(__file__).resolve().parents[2]


def test_threads_come_from_the_option_then_the_environment(monkeypatch):
    monkeypatch.setenv("NAHAWI_THREADS", "3")
    assert resolve_threads(2) == 2 and resolve_threads(None) == 3
    monkeypatch.delenv("NAHAWI_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert resolve_threads(None) == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert resolve_threads(None) >= 1
    monkeypatch.setenv("NAHAWI_THREADS", "many")
    with pytest.raises(InputError, match="NAHAWI_THREADS.*'many'"):
        resolve_threads(None)
    with pytest.raises(InputError, match="threads.*0"):
        resolve_threads(0)


def test_cpu_sessions_run(tiny_model_dir):
    model = open_model(tiny_model_dir, "cpu", threads=1)
    assert model.device == "cpu" and model.provider == "CPUExecutionProvider" and model.notice == ""


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this machine has an NVIDIA GPU")
def test_without_cuda_auto_falls_back_with_a_notice_and_cuda_is_an_error(tiny_model_dir):
    """Both builds: plain onnxruntime (no CUDA provider) and onnxruntime-gpu on a machine without a GPU."""
    model = open_model(tiny_model_dir, "auto", threads=1)
    assert model.device == "cpu" and model.notice.startswith("CUDA not available (")
    if CUDA not in ort.get_available_providers():
        assert model.notice == "CUDA not available (onnxruntime has no CUDAExecutionProvider); using CPU"
    with pytest.raises(ModelError, match="CUDA requested but unusable"):
        open_model(tiny_model_dir, "cuda", threads=1)


@pytest.mark.gpu
def test_cuda_is_used_when_it_works(tiny_model_dir):
    model = open_model(tiny_model_dir, "auto", threads=1)
    assert model.device == "cuda" and model.provider == CUDA, model.notice


def test_broken_graphs_are_model_errors(tiny_model_dir, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("encoder.onnx", "decoder.onnx"):
        (broken / name).write_bytes((tiny_model_dir / name).read_bytes()[:100])
    with pytest.raises(ModelError, match="encoder.onnx: cannot load"):
        open_model(broken, "cpu", threads=1)
    with pytest.raises(InputError, match="'tpu'"):
        open_model(tiny_model_dir, "tpu")


def test_a_correction_with_a_fresh_home_writes_nothing_there(tmp_path):
    """onnxruntime-gpu 1.31 queued telemetry under ~/.cache/Microsoft/DeveloperTools on every run."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "ORT_DISABLE_TELEMETRY")}
    env.update(HOME=str(home), OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    sample = REPO / "nahawi" / "resources" / "sample.txt"
    done = subprocess.run([sys.executable, "-c", "from nahawi.cli import main; main()", "correct", str(sample),
                           "--device", "auto"], check=False, capture_output=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.strip()
    assert not (home / ".cache" / "Microsoft").exists()
    assert sorted(p.relative_to(home) for p in home.rglob("*")) == []
