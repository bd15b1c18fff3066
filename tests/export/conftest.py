"""Session fixtures for export tests: a tiny tokenizer + checkpoint and one real exported model directory.

Other test packages build their own with `export.fixtures.build_tiny_model_dir(path)` (fixtures defined
here are only visible under tests/export).
"""
import importlib.util
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="export tests need the 'train' extra (torch)")
pytest.importorskip("onnxscript", reason="export tests need the 'train' extra (onnxscript)")
pytest.importorskip("onnxruntime", reason="export tests need onnxruntime")

ORIGINAL_LAYOUT = Path(__file__).resolve().parents[1] / "training" / "original_layout.py"


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # the machine's other core belongs to a training job
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def tiny_sources(tmp_path_factory):
    from export.fixtures import build_tiny_sources

    return build_tiny_sources(tmp_path_factory.mktemp("tiny-sources"))


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_sources, tmp_path_factory) -> Path:
    from export.fixtures import build_tiny_model_dir

    return build_tiny_model_dir(tmp_path_factory.mktemp("tiny-model") / "model", sources=tiny_sources)


@pytest.fixture(scope="session")
def tiny_model(tiny_sources):
    from training.checkpoint import load_model

    return load_model(tiny_sources.checkpoint)[0].eval()


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_sources):
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_file=str(tiny_sources.tokenizer))


@pytest.fixture(scope="session")
def original_layout():
    """tests/training/original_layout.py: a module in the original system's exact parameter layout."""
    spec = importlib.util.spec_from_file_location("original_layout", ORIGINAL_LAYOUT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
