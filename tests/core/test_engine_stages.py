"""The stages after the model inside the engine: policy and strict policy, and skipping the model when the
policy shows none of its edits."""
import json
import shutil

import pytest

from nahawi.engine import Corrector, CorrectorOptions
from nahawi.errors import ModelError
from nahawi.lexicon import save_lexicon
from nahawi.lexicon_gate import save_gate
from nahawi.model_dir import GATE_FILE, LEXICON_FILE, file_record


@pytest.fixture
def model_with_lexicon(tiny_model_dir, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    save_lexicon(model / LEXICON_FILE, {"إلى": 900, "الى": 40, "المدرسة": 300, "المدرسه": 1, "ذهبت": 80, "و": 1,
                                         "والله": 500, "الله": 9000})
    document = json.loads((model / "model.json").read_text(encoding="utf-8"))
    document["files"][LEXICON_FILE] = file_record(model / LEXICON_FILE)
    document["policy"] = {"kinds": [], "lexicon_ratio": 8.0}
    document["strict_policy"] = {"kinds": [], "lexicon_ratio": 100.0}
    (model / "model.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return model


def test_no_model_kinds_means_no_decoding(model_with_lexicon, monkeypatch):
    corrector = Corrector.from_dir(model_with_lexicon, device="cpu")
    assert not corrector.uses_model
    monkeypatch.setattr(corrector, "_decode", lambda *a: pytest.fail("the model was decoded"))
    result = corrector.correct("ذهبت الى المدرسه و الله")
    assert result.corrected == "ذهبت إلى المدرسة والله"
    assert {e.rule_id for e in result.edits} == {"lexicon", "spacing"}


def test_strict_policy_is_used_only_when_asked(model_with_lexicon):
    text = "ذهبت الى المدرسه"
    assert Corrector.from_dir(model_with_lexicon, device="cpu").correct(text).corrected == "ذهبت إلى المدرسة"
    strict = Corrector.from_dir(model_with_lexicon, device="cpu", options=CorrectorOptions(strict=True))
    assert strict.correct(text).corrected == "ذهبت الى المدرسة"  # 900 < 100 x 40: «الى» stays


def test_learner_policy_is_used_only_when_asked_and_never_with_strict(model_with_lexicon, caplog):
    from nahawi.errors import InputError

    assert not Corrector.from_dir(model_with_lexicon, device="cpu", options=CorrectorOptions(learner=True)).uses_model
    assert "has no learner_policy; correcting with its policy" in caplog.text  # none tuned: the policy, said
    _set_policy(model_with_lexicon, learner={"kinds": ["morphology", "other"], "min_confidence": 0.7,
                                             "lexicon_ratio": 8.0, "model_fills_gaps": True})
    learner = Corrector.from_dir(model_with_lexicon, device="cpu", options=CorrectorOptions(learner=True))
    assert learner.uses_model and learner.stages.policy.model_fills_gaps  # the seq2seq runs for a learner
    assert learner.stages.policy.kinds == frozenset({"morphology", "other"})
    assert not Corrector.from_dir(model_with_lexicon, device="cpu").uses_model
    with pytest.raises(InputError, match="strict and learner"):
        Corrector.from_dir(model_with_lexicon, device="cpu", options=CorrectorOptions(strict=True, learner=True))


def test_model_is_decoded_when_the_policy_shows_its_edits(model_with_lexicon):
    corrector = Corrector.from_dir(model_with_lexicon, device="cpu", options=CorrectorOptions(policy=False))
    assert corrector.uses_model


def _set_policy(model, learner=None, **policy):
    document = json.loads((model / "model.json").read_text(encoding="utf-8"))
    document["policy"].update(policy)
    if learner is not None:
        document["learner_policy"] = learner
    (model / "model.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def test_policy_gate_is_loaded_and_vetoes_lexicon_suggestions(model_with_lexicon):
    save_gate(model_with_lexicon / GATE_FILE, {"bias": 2.0, "change=ه>ة@F": -5.0})
    _set_policy(model_with_lexicon, lexicon_gate=0.5)
    result = Corrector.from_dir(model_with_lexicon, device="cpu").correct("ذهبت الى المدرسه")
    assert result.corrected == "ذهبت إلى المدرسه"  # the gate kept «المدرسه», let «الى» → «إلى» through
    assert [e.confidence for e in result.edits] == [pytest.approx(0.8808, abs=1e-4)]  # the gate's probability


def test_policy_gate_without_its_file_is_a_clear_error(model_with_lexicon):
    _set_policy(model_with_lexicon, lexicon_gate=0.5)
    with pytest.raises(ModelError, match="lexicon_gate.json: missing"):
        Corrector.from_dir(model_with_lexicon, device="cpu")
