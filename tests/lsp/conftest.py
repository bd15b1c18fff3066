"""Fixtures for the language-server tests: a real tiny model that corrects, real servers over stdio.

The model is built once per session (`lsp_model.build_corrective_model_dir`: a few seconds of training,
then the real export pipeline); `engine` is the same model in-process, the source of expected edits.
Servers are started by `lsp_client.start_server`.
"""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch", reason="building the tiny model needs the 'train' extra (torch)")
pytest.importorskip("onnxruntime", reason="the language server needs onnxruntime")
pytest.importorskip("pytest_lsp", reason="the language-server tests need the 'dev' extra (pytest-lsp)")
pytest.importorskip("pygls", reason="the language server needs the 'lsp' extra (pygls)")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    import torch
    from lsp_model import build_corrective_model_dir

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the machine's other core belongs to a training job
    try:
        base = tmp_path_factory.mktemp("lsp-model")
        return build_corrective_model_dir(base / "model", base / "work")
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def engine(model_dir):
    """The engine on the same model, in-process: the source of every expected edit."""
    from nahawi.engine import Corrector, CorrectorOptions

    return Corrector.from_dir(model_dir, device="cpu", options=CorrectorOptions(threads=1))


