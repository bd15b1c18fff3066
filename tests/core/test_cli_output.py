"""`nahawi correct --output` (issue 15): a link stays a link and its target gets the text, the data is
synced before the rename, no temporary file survives an error or SIGTERM, and a directory is refused before
any input is read or any model loaded. The shipped model, real Arabic."""
import os
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nahawi.cli import EXIT_USAGE, app
from nahawi.cli import correct as correct_cli
from nahawi.engine import Corrector

TEXT = "اظن ان القراءة مفيدة\n"


def run(*args):
    return CliRunner().invoke(app, ["correct", *map(str, args)])


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "in.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_a_link_stays_a_link_and_its_target_gets_the_text(tmp_path, source):
    real, link = tmp_path / "real.txt", tmp_path / "link.txt"
    real.write_text("old\n", encoding="utf-8")
    link.symlink_to(real)
    result = run(source, "-o", link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("أظن أن")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "link.txt", "real.txt"]


def test_the_data_is_synced_before_the_rename(tmp_path, source, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: calls.append("replace") or real_replace(a, b))
    assert run(source, "-o", tmp_path / "out.txt").exit_code == 0
    assert calls == ["fsync", "replace"]


def test_a_directory_is_refused_before_any_work(tmp_path, source, monkeypatch):
    monkeypatch.setattr(Corrector, "from_dir", lambda *a, **k: pytest.fail("the model was loaded"))
    monkeypatch.setattr(correct_cli, "open_input", lambda *a: pytest.fail("the input was read"))
    result = run(source, "-o", tmp_path)
    assert result.exit_code == EXIT_USAGE and "is a directory" in result.stderr
    result = run(source, "-o", tmp_path / "missing" / "out.txt")
    assert result.exit_code == EXIT_USAGE and "does not exist" in result.stderr


def test_sigterm_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stopped, correct_cli._Sink(target) as sink:
        sink.handle.write("أعتقد أن\n")
        os.kill(os.getpid(), signal.SIGTERM)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    assert target.read_text(encoding="utf-8") == "old\n"  # untouched
    assert signal.getsignal(signal.SIGTERM) is not correct_cli._terminate  # the handler is put back
