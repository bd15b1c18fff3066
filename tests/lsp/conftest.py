"""Fixtures for the language-server tests: the shared trained tiny model (`trained_model_dir`, root
conftest) served by real servers over stdio (`lsp_client.start_server`), and `engine`, the same model
in-process: the source of every expected edit.
"""
from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="building the tiny model needs the 'train' extra (torch)")
pytest.importorskip("onnxruntime", reason="the language server needs onnxruntime")
pytest.importorskip("pytest_lsp", reason="the language-server tests need the 'dev' extra (pytest-lsp)")
pytest.importorskip("pygls", reason="the language server needs the 'lsp' extra (pygls)")


@pytest.fixture(scope="session")
def engine(trained_model_dir):
    """The engine on the same model, in-process: the source of every expected edit."""
    from nahawi.engine import Corrector, CorrectorOptions

    return Corrector.from_dir(trained_model_dir, device="cpu", options=CorrectorOptions(threads=1))
