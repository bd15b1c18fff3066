"""Fitting the lexicon gate: word alignment, labelled suggestions, the fit, and the command on real pairs."""
import json

import pytest

from nahawi.lexicon import Lexicon, LexiconConfig
from nahawi.lexicon_gate import load_gate

pytest.importorskip("torch", reason="fitting the gate needs the 'train' extra")

from training.lexicon_gate import aligned_targets, fit_gate, suggestion_examples

COUNTS = {"قال": 7000, "إنه": 900, "انه": 30, "أنه": 4000, "المدرسة": 3000, "المدرسه": 2, "ذهبت": 800}


def test_respelt_words_align_with_their_corrections():
    source = ["ذهبت", "الى", "المدرسه", "امس", "مايحدث"]
    target = ["ذهبت", "إلى", "المدرسة", "،", "أمس", "ما", "يحدث"]
    # The inserted comma shifts nothing; «مايحدث» became two words: no pair.
    assert aligned_targets(source, target) == {0: "ذهبت", 1: "إلى", 2: "المدرسة", 3: "أمس"}
    assert aligned_targets(["دهبت"], ["ذهبت"]) == {0: "ذهبت"}  # confusable letters fold together too


def test_suggestions_are_labelled_by_the_reviewers_correction():
    lexicon = Lexicon(COUNTS, LexiconConfig(ratio=1.5))
    examples = suggestion_examples(lexicon, "ذهبت الى المدرسه وقال انه", "ذهبت الى المدرسة وقال إنه")
    assert [label for _, label in examples] == [1, 0]  # المدرسه → المدرسة right; انه → أنه, not إنه
    assert suggestion_examples(lexicon, "ذهبت المدرسة", "ذهبت المدرسة") == []


def test_fit_learns_which_letter_changes_reviewers_accept():
    good = [(["bias", "letters=ه>ة"], 1)] * 30 + [(["bias", "letters=ه>ة"], 0)] * 3
    bad = [(["bias", "letters=إ>أ"], 0)] * 30 + [(["bias", "letters=إ>أ"], 1)] * 3
    weights = fit_gate(good + bad)
    assert weights["letters=ه>ة"] > 1.0 > -1.0 > weights["letters=إ>أ"]


def test_train_command_on_the_real_train_pairs(shared_root, tmp_path):
    from typer.testing import CliRunner

    from nahawi.cli import app
    from nahawi.engine.corrector import DEFAULT_MODEL_DIR
    from nahawi.model_dir import LEXICON_FILE

    out = tmp_path / "lexicon_gate.json"
    result = CliRunner().invoke(app, ["train", "lexicon-gate", "--out", str(out), "--data-root",
                                      str(shared_root / "data"), "--lexicon", str(DEFAULT_MODEL_DIR / LEXICON_FILE)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["documents"] > 400 and 1000 < report["positives"] < report["examples"]
    gate = load_gate(out)
    # Reviewers nearly always add a hamza to a bare initial alif; they rarely move one the writer wrote.
    assert gate.weights["change=ا>أ@I"] > gate.weights["change=إ>أ@I"]
    assert not any(name.startswith("supplies=") for name in gate.weights)  # the shipped gate's features
    supplied = tmp_path / "supplied.json"
    result = CliRunner().invoke(app, ["train", "lexicon-gate", "--out", str(supplied), "--data-root",
                                      str(shared_root / "data"), "--lexicon", str(DEFAULT_MODEL_DIR / LEXICON_FILE),
                                      "--supplies"])
    assert result.exit_code == 0, result.output
    assert {"supplies=ء", "supplies=وا"} <= set(load_gate(supplied).weights)  # both occur in the real pairs
