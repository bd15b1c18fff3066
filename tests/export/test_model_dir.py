"""nahawi.model_dir on a real exported directory: integrity checks, defaults, and clear errors naming the file."""
import json
import logging
import shutil
import subprocess
import sys

import pytest

from nahawi.errors import ModelError
from nahawi.model_dir import DECODER_INPUTS, ENCODER_OUTPUTS, load_model_info


@pytest.fixture
def model_dir(tiny_model_dir, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(tiny_model_dir, copy)
    return copy


def rewrite_json(directory, change) -> None:
    path = directory / "model.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def test_valid_directory_loads(model_dir):
    info = load_model_info(model_dir)
    assert info.encoder_path.is_file() and info.decoder_path.is_file() and info.tokenizer_path.is_file()
    assert info.head_dim == info.d_model // info.nhead
    assert info.encoder.outputs == ENCODER_OUTPUTS


@pytest.mark.parametrize("name", ["encoder.onnx", "decoder.onnx", "spm.model", "model.json"])
def test_missing_file_is_named(model_dir, name):
    (model_dir / name).unlink()
    with pytest.raises(ModelError, match=name.replace(".", r"\.")):
        load_model_info(model_dir)


@pytest.mark.parametrize("name", ["encoder.onnx", "decoder.onnx", "spm.model"])
def test_truncated_file_is_named(model_dir, name):
    path = model_dir / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelError, match=rf"{name}.*truncated"):
        load_model_info(model_dir)


@pytest.mark.parametrize("name", ["encoder.onnx", "spm.model"])
def test_corrupt_file_is_named(model_dir, name):
    path = model_dir / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one flipped byte
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=rf"{name}.*corrupt"):
        load_model_info(model_dir)
    assert load_model_info(model_dir, verify_hashes=False).precision == "fp32"  # sizes still checked


def test_corrupt_model_json_is_named(model_dir):
    path = model_dir / "model.json"
    path.write_text(path.read_text(encoding="utf-8")[:200], encoding="utf-8")
    with pytest.raises(ModelError, match=r"model\.json.*corrupt"):
        load_model_info(model_dir)


def test_missing_required_key_fails_clearly(model_dir):
    rewrite_json(model_dir, lambda doc: doc["architecture"].pop("vocab_size"))
    with pytest.raises(ModelError, match="vocab_size"):
        load_model_info(model_dir)
    rewrite_json(model_dir, lambda doc: doc.pop("architecture"))
    with pytest.raises(ModelError, match="architecture"):
        load_model_info(model_dir)


def test_newer_format_is_refused(model_dir):
    rewrite_json(model_dir, lambda doc: doc.update(format_version=99))
    with pytest.raises(ModelError, match="newer"):
        load_model_info(model_dir)


def test_minimal_model_json_loads_with_logged_defaults(model_dir, caplog):
    """The smallest document a loader must accept: required architecture keys only, no checksums."""
    def minimal(doc):
        arch = {k: doc["architecture"][k] for k in ("vocab_size", "d_model", "nhead", "num_decoder_layers")}
        doc.clear()
        doc["architecture"] = arch

    rewrite_json(model_dir, minimal)
    with caplog.at_level(logging.INFO, logger="nahawi.model_dir"):
        info = load_model_info(model_dir)
    assert (info.precision, info.pad_id, info.bos_id, info.eos_id, info.max_seq_len) == ("fp32", 0, 2, 3, 256)
    assert info.decoder.inputs == DECODER_INPUTS and info.format_version == 1
    logged = caplog.text
    assert "precision" in logged and "special_ids" in logged and "no checksum" in logged


def test_core_module_does_not_import_torch():
    code = "import sys, nahawi.model_dir; print('torch' in sys.modules or 'onnxruntime' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
