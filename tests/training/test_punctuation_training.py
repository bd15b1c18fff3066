"""Training the punctuation model: gap labels from real pairs, the linear fit, and the whole command."""
import json

import pytest

pytest.importorskip("torch")

from nahawi.punctuation import LABELS, load_punctuation
from training.punctuation import PunctTrainConfig, fit, gap_examples, words_and_marks


def test_words_and_marks_split_benchmark_text():
    words, marks = words_and_marks("« قال » : ذهبت إلى السوق ، ثم عدت . .")
    assert words == ["قال", "ذهبت", "إلى", "السوق", "ثم", "عدت"]
    assert marks == ["» :", "", "", "،", "", ". ."]


def test_gap_labels_come_from_the_aligned_target():
    source = "ذهبت الى السوق ثم عدت الى البيت"
    target = "ذهبت إلى السوق ، ثم عدت إلى البيت ."
    examples = gap_examples(source, target, priors={})
    labels = [LABELS[label] for _, label in examples]
    # gaps beside «الى» (rewritten to «إلى») have no aligned target gap and are skipped
    assert labels == ["،", "", "."]
    assert all("w=" in features for features, _ in examples)


def test_latin_comma_is_a_written_mark_the_model_learns_to_replace():
    examples = gap_examples("كتبت الرسالة , ثم ذهبت", "كتبت الرسالة ، ثم ذهبت", priors={})
    assert [(f[1], LABELS[label]) for f, label in examples] == [("w=", ""), ("w=,", "،"), ("w=", ""), ("w=", "")]


def test_fit_learns_a_separable_rule():
    examples = [(["bias", "e=0"], LABELS.index("."))] * 50 + [(["bias", "e=3"], 0)] * 200
    weights = fit(examples, PunctTrainConfig(epochs=20, min_feature_count=1, prune=0.0))
    period, none = LABELS.index("."), 0
    assert weights["e=0"][period] > weights["e=0"][none]
    assert weights["e=3"][none] > weights["e=3"][period]


def test_train_command_on_the_real_train_pairs(shared_root, tmp_path):
    from typer.testing import CliRunner

    from nahawi.cli import app

    out = tmp_path / "punctuation.json.gz"
    result = CliRunner().invoke(app, ["train", "punctuation", "--out", str(out), "--epochs", "2",
                                      "--data-root", str(shared_root / "data"),
                                      "--corpus-root", str(shared_root / "corpus")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["documents"] > 400 and summary["labels"]["،"] > 1000 and summary["labels"]["."] > 1000
    model = load_punctuation(out, threshold=0.5)
    words = ["ذهبت", "إلى", "السوق", "واشتريت", "الخبز", "والحليب", "ثم", "عدت", "إلى", "البيت"]
    gaps = model.gaps(words, [""] * len(words))
    assert gaps and gaps[-1].index == len(words) - 1 and gaps[-1].proposed == "."  # a period ends the text
