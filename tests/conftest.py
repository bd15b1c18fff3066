"""Shared fixtures: the shared data root and two real tiny exported model directories, each built once per
session: an untrained one (every format and code path) and a trained one that makes real corrections."""
import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("NAHAWI_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))


@pytest.fixture(scope="session")
def shared_root() -> Path:
    if not (SHARED / "data").is_dir():
        pytest.skip(f"shared data not found at {SHARED} (set NAHAWI_SHARED); research data is never in the repo")
    return SHARED


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A real ONNX model directory exported from a tiny seeded checkpoint through the real pipeline."""
    pytest.importorskip("torch", reason="building the tiny model needs the 'train' extra")
    from export.fixtures import build_tiny_model_dir

    return build_tiny_model_dir(tmp_path_factory.mktemp("model") / "tiny")


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory) -> Path:
    """A real ONNX model directory whose tiny model was trained to make `export.fixtures.TRAINED_CORRECTIONS`
    (and keep `TRAINED_KEPT`): real edits from real model output, for the app and the language server."""
    pytest.importorskip("torch", reason="building the trained tiny model needs the 'train' extra")
    from export.fixtures import build_trained_tiny_model_dir

    return build_trained_tiny_model_dir(tmp_path_factory.mktemp("trained-model") / "trained-tiny")


@pytest.fixture(scope="session")
def tagger_model_dir(tmp_path_factory, tiny_model_dir) -> Path:
    """The tiny model directory plus a tiny tagger trained on `export.fixtures.TAGGER_PAIRS`, exported int8."""
    pytest.importorskip("torch", reason="training the tiny tagger needs the 'train' extra")
    from export.fixtures import build_tagger_model_dir

    return build_tagger_model_dir(tmp_path_factory.mktemp("tagger-model"), tiny_model_dir)
