"""A quick, honest start (issue 15): the model's sessions open only when a stage decodes it, model.json's
max_seq_len is checked against the graphs when they open, and `nahawi correct` writes nothing before a
model error. The one-sentence wall time is measured in docs/RESULTS.md, never asserted here."""
import json
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from nahawi.cli import EXIT_MODEL, app
from nahawi.cli import correct as correct_cli
from nahawi.engine import Corrector, CorrectorOptions
from nahawi.errors import ModelError

SENTENCE = "ذهبت الى المدرسه"


def test_the_default_policy_never_opens_the_model():
    """The default policy shows no model edit: onnxruntime is not even imported (it was, with two
    sessions, and two more on CUDA first on a machine with onnxruntime-gpu: ~0.3 s of a one-sentence run)."""
    code = ("import sys\nfrom nahawi.engine import Corrector\n"
            f"print(Corrector.from_dir().correct({SENTENCE!r}).corrected)\n"
            "print('onnxruntime' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"OMP_NUM_THREADS": "1", "NAHAWI_THREADS": "1", "PATH": "/usr/bin:/bin"})
    corrected, imported = done.stdout.splitlines()
    assert corrected == "ذهبت إلى المدرسة." and imported == "False"
    assert done.stderr == ""


def test_the_model_opens_when_a_stage_decodes_it(tiny_model_dir):
    engine = Corrector.from_dir(tiny_model_dir, device="cpu", options=CorrectorOptions(threads=1))
    assert engine.uses_model and engine.model.loaded and engine.info.provider == "CPUExecutionProvider"


@pytest.fixture
def longer_than_its_graphs(tiny_model_dir, tmp_path):
    """The tiny model with model.json claiming twice the positions its graphs have."""
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    document = json.loads((model / "model.json").read_text(encoding="utf-8"))
    document["architecture"]["max_seq_len"] *= 2
    (model / "model.json").write_text(json.dumps(document), encoding="utf-8")
    return model, document["architecture"]["max_seq_len"]


def test_max_seq_len_beyond_the_graphs_is_a_model_error(longer_than_its_graphs):
    model, claimed = longer_than_its_graphs
    with pytest.raises(ModelError, match=f"max_seq_len {claimed}, but the graphs do not run at that length"):
        Corrector.from_dir(model, device="cpu", options=CorrectorOptions(threads=1))


def test_no_output_before_the_model_error_of_a_long_line(longer_than_its_graphs, tmp_path, monkeypatch):
    """Short lines first, then one the claimed positions let through but the graphs cannot hold: the short
    lines' corrections were printed before the error."""
    model, _ = longer_than_its_graphs
    monkeypatch.setattr(correct_cli, "CHUNK_LINES", 1)
    source = tmp_path / "in.txt"
    long_line = " ".join(["كتب الطالب الدرس في المدرسه"] * 12)
    source.write_text(f"{SENTENCE}\n{SENTENCE} اليوم\n{long_line}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["correct", str(source), "--model", str(model), "--device", "cpu"])
    assert result.exit_code == EXIT_MODEL and result.stdout == ""
    assert "max_seq_len" in result.stderr


def test_no_partial_output_when_a_later_chunk_fails(monkeypatch, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text(f"{SENTENCE}\n{SENTENCE}\n{SENTENCE}\n", encoding="utf-8")
    monkeypatch.setattr(correct_cli, "CHUNK_LINES", 1)
    calls = []
    real = Corrector.correct_batch

    def failing_third(self, texts, **call):
        calls.append(texts)
        if len(calls) == 3:
            raise ModelError("inference failed (simulated)")
        return real(self, texts, **call)

    monkeypatch.setattr(Corrector, "correct_batch", failing_third)
    result = CliRunner().invoke(app, ["correct", str(source), "--device", "cpu"])
    assert len(calls) == 3 and result.exit_code == EXIT_MODEL
    assert result.stdout == "" and "simulated" in result.stderr
    monkeypatch.setattr(Corrector, "correct_batch", real)
    good = CliRunner().invoke(app, ["correct", str(source), "--device", "cpu"])
    assert good.exit_code == 0 and good.stdout == "ذهبت إلى المدرسة.\n" * 3


def test_workers_decoding_at_once_open_the_sessions_once(tiny_model_dir, monkeypatch):
    """The language server and the app decode off their main thread: the first decodes race to open."""
    import threading

    from nahawi.engine import corrector as corrector_module

    opened = []
    real = corrector_module.open_model

    def counting(*args, **kwargs):
        opened.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(corrector_module, "open_model", counting)
    engine = Corrector.from_dir(tiny_model_dir, device="cpu",
                                options=CorrectorOptions(threads=1, policy=False, cache_size=0))
    opened.clear()
    engine.model._model = None  # as a lazily opened engine is before its first decode
    threads = [threading.Thread(target=engine.correct, args=(SENTENCE,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == 1 and engine.model.loaded
