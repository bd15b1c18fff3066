"""model.json values of the wrong type or shape are model errors naming the key (issue 15), from the API
and from `nahawi correct` (exit 2, nothing written), on copies of the shipped model directory."""
import json
import os
import re
import shutil

import pytest
from typer.testing import CliRunner

from nahawi.cli import EXIT_MODEL, app
from nahawi.engine import Corrector
from nahawi.engine.corrector import DEFAULT_MODEL_DIR
from nahawi.errors import ModelError
from nahawi.model_dir import load_model_info


def _set(document: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        document = document[key]
    document[last] = value


@pytest.fixture
def model_copy(tmp_path):
    """The shipped model directory, its files hard-linked (cheap), model.json a real copy to edit."""
    directory = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, directory, copy_function=os.link)
    (directory / "model.json").unlink()
    shutil.copy(DEFAULT_MODEL_DIR / "model.json", directory / "model.json")
    return directory


def _edit(directory, dotted, value):
    document = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    _set(document, dotted, value)
    (directory / "model.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


CASES = [
    ("architecture", [256], "architecture must be an object"),
    ("special_ids", [0, 1, 2, 3], "special_ids must be an object"),
    ("graphs", [], "graphs must be an object"),
    ("graphs.encoder", "encoder.onnx", "graphs.encoder must be an object"),
    ("graphs.decoder.file", "../decoder.onnx", "graphs.decoder.file '../decoder.onnx' is outside"),
    ("graphs.encoder.file", "/etc/hostname", "graphs.encoder.file '/etc/hostname' is outside"),
    ("tokenizer", "spm.model", "tokenizer must be an object"),
    ("tokenizer.file", "../../spm.model", "tokenizer.file '../../spm.model' is outside"),
    ("files", ["spm.model"], "files must be an object"),
    ("decoding", [1.2, 10], "decoding must be an object"),
    ("decoding.max_len_a", "1.2", "decoding.max_len_a must be a positive number"),
    ("decoding.max_len_b", 2.5, "decoding.max_len_b must be a non-negative integer"),
    ("policy", ["hamza"], "policy must be an object"),
    ("policy.kinds", "hamza", "policy.kinds must be null or a list of kind names"),
    ("policy.kinds", ["spelling"], "policy.kinds must be null or a list of kind names (hamza, "),
    ("policy.lexicon_ratio", "8", "policy.lexicon_ratio must be null or a positive number"),
    ("policy.punctuation", "yes", "policy.punctuation must be true or false"),
    ("strict_policy.punctuation_threshold", "0.8", "strict_policy.punctuation_threshold must be"),
    ("strict_policy.lexicon_gate", 2, "strict_policy.lexicon_gate must be null or a number from 0 to 1"),
    ("learner_policy.model_fills_gaps", "yes", "learner_policy.model_fills_gaps must be true or false"),
    ("learner_policy.min_confidence", 1.5, "learner_policy.min_confidence must be a number from 0 to 1"),
    ("learner_policy", ["morphology"], "learner_policy must be an object"),
]


@pytest.mark.parametrize(("key", "value", "message"), CASES)
def test_wrong_types_are_model_errors_naming_the_key(model_copy, key, value, message):
    _edit(model_copy, key, value)
    with pytest.raises(ModelError, match="model.json: " + re.escape(message)):
        load_model_info(model_copy)


@pytest.mark.parametrize(("key", "value", "message"), [CASES[1], CASES[10], CASES[14]])
def test_cli_exits_with_the_model_error_code_and_writes_nothing(model_copy, tmp_path, key, value, message):
    _edit(model_copy, key, value)
    source, output = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("اظن ان القراءة مفيدة\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["correct", str(source), "--model", str(model_copy), "-o", str(output)])
    assert result.exit_code == EXIT_MODEL and message in result.stderr and "internal error" not in result.stderr
    assert not output.exists() and result.stdout == ""


def test_the_shipped_model_still_loads_and_corrects(model_copy):
    corrector = Corrector.from_dir(model_copy, device="cpu")
    assert corrector.correct("اظن ان القراءة مفيدة").corrected.startswith("أظن أن")
