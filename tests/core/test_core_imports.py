"""The core stays light: importing it (and running its CLI help) never pulls in torch, Qt or pygls."""
import subprocess
import sys

HEAVY = ("torch", "PySide6", "pygls", "onnx", "onnxscript")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in output.split()}


def test_import_nahawi_does_not_import_heavy_dependencies():
    loaded = _loaded_after("import nahawi, nahawi.engine, nahawi.m2, nahawi.text, nahawi.edits, nahawi.lexicon")
    assert not loaded & set(HEAVY)


def test_cli_does_not_import_heavy_dependencies():
    loaded = _loaded_after("from nahawi.cli import app")
    assert not loaded & set(HEAVY)
