"""Policy tuning on dev: every stage's setting, under a false-alarm budget."""
import json

import pytest

pytest.importorskip("torch")

from nahawi.engine.lexicon_stage import EditPolicy
from nahawi.kinds import KIND_GROUPS
from training.tune import GRID, Setting, _better, tune_policy, value, write_policy


def _row(mean, alarms):
    return {"mean": mean, "false_alarms_per_1000_words": alarms}


def test_f_within_the_budget_and_a_steep_charge_above_it():
    assert _better(_row(0.76, 1.5), _row(0.80, 3.0), max_false_alarms=2.0)  # 0.80 - 0.05 x 1.0 < 0.76
    assert not _better(_row(0.60, 1.0), _row(0.70, 1.9), max_false_alarms=2.0)  # both fit: F decides
    assert _better(_row(0.78, 2.5), _row(0.60, 2.1), max_false_alarms=2.0)  # small excess, far better F
    assert _better(_row(0.81, 9.0), _row(0.80, 1.0), max_false_alarms=100.0)
    # a hair over the budget is over it: the best setting within it wins, whatever F0.5 the other has
    assert _better(_row(0.7807, 2.0), _row(0.7811, 2.0033), max_false_alarms=2.0)
    assert value(_row(0.7811, 2.0033), 2.0) < value(_row(0.10, 1.9), 2.0)


def test_setting_policy_is_what_the_engine_reads():
    policy = Setting(kinds="spelling", punctuation_threshold=None, lexicon_ratio=12.0).policy()
    assert policy["kinds"] == ["alif_maqsura", "hamza", "letter_confusion", "ta_marbuta"]
    assert policy["punctuation"] is False and policy["lexicon_ratio"] == 12.0
    assert None in GRID["punctuation_threshold"]


def test_tune_on_dev_documents_writes_a_policy_the_engine_loads(trained_model_dir, shared_root, tmp_path):
    import shutil

    from nahawi.engine import Corrector

    model = tmp_path / "model"
    shutil.copytree(trained_model_dir, model)
    result = tune_policy(model, shared_root / "data", docs=4, max_false_alarms=2.0, rounds=1, log=lambda m: None,
                         strict_false_alarms=0.5)
    policy = result["policy"]
    assert len(result["grid"]) >= len(GRID["kinds"]) and "qalb14-dev first 4 documents" in policy["tuned_on"]
    chosen = value({"mean": (policy["dev_with_punct"] + policy["dev_no_punct"]) / 2,
                    "false_alarms_per_1000_words": policy["dev_false_alarms_per_1000_words"]}, 2.0)
    # never worse than any setting scored, the strict search's included (it runs first)
    assert chosen >= max(value(r, 2.0) for r in result["grid"])
    assert result["strict_policy"]["dev_false_alarms_per_1000_words"] <= 0.5 or not any(
        r["false_alarms_per_1000_words"] <= 0.5 for r in result["grid"])
    write_policy(model, policy)
    assert json.loads((model / "model.json").read_text(encoding="utf-8"))["policy"]["kinds"] == policy["kinds"]
    assert Corrector.from_dir(model, device="cpu").correct("ذهبت الى المدرسه").source == "ذهبت الى المدرسه"


def test_the_strict_search_starts_from_the_written_strict_policy(trained_model_dir, shared_root, tmp_path):
    """The default's policy is far over the strict budget; one coordinate at a time the search may not get
    within it, so it also starts from the strict policy the directory already has."""
    import shutil

    from nahawi.engine.corrector import DEFAULT_MODEL_DIR
    from nahawi.model_dir import GATE_FILE, LEXICON_FILE, PUNCTUATION_FILE

    model = tmp_path / "model"
    shutil.copytree(trained_model_dir, model)
    for name in (LEXICON_FILE, GATE_FILE, PUNCTUATION_FILE):
        shutil.copy(DEFAULT_MODEL_DIR / name, model / name)
    quiet = Setting(kinds="none", lexicon_ratio=1e9, lexicon_repair=False, punctuation_threshold=None).policy()
    write_policy(model, Setting(kinds="spelling+spacing", lexicon_ratio=1.5).policy(), quiet)
    result = tune_policy(model, shared_root / "data", docs=6, max_false_alarms=50.0, rounds=0,
                         log=lambda m: None, strict_false_alarms=3.0)  # the quiet one: 2.6, the others 10.4
    strict = result["strict_policy"]
    assert strict["dev_false_alarms_per_1000_words"] <= 3.0
    assert (strict["kinds"], strict["lexicon_ratio"], strict["punctuation"]) == ([], 1e9, False)
    assert result["policy"]["dev_false_alarms_per_1000_words"] > 0  # the written policy itself edits correct text


def test_the_tuned_figures_are_what_the_engine_scores_with_that_policy(trained_model_dir, shared_root, tmp_path):
    """Tuning replays the stages after the model offline; the engine, loading the written policy, must show
    exactly the edits the tuner scored — on the dev documents and on the corrected side's false alarms."""
    import shutil

    from nahawi.bench.false_alarms import CORRECT_SIDES
    from nahawi.engine import Corrector
    from nahawi.engine.corrector import DEFAULT_MODEL_DIR
    from nahawi.m2.reader import read_lines
    from nahawi.model_dir import GATE_FILE, LEXICON_FILE, PUNCTUATION_FILE
    from training.evaluate import load_qalb14_dev, score_dev_hypotheses

    model = tmp_path / "model"
    shutil.copytree(trained_model_dir, model)
    for name in (LEXICON_FILE, GATE_FILE, PUNCTUATION_FILE):  # every stage after the model takes part
        shutil.copy(DEFAULT_MODEL_DIR / name, model / name)
    policy = tune_policy(model, shared_root / "data", docs=6, max_false_alarms=50.0, rounds=1,
                         log=lambda m: None)["policy"]
    write_policy(model, policy)
    engine = Corrector.from_dir(model, device="cpu")
    dev = load_qalb14_dev(shared_root / "data", 6)
    scores = score_dev_hypotheses([c.corrected for c in engine.correct_batch(dev.sources[:6])], dev)
    assert (scores["with_punct"]["f0.5"], scores["no_punct"]["f0.5"]) == (policy["dev_with_punct"],
                                                                          policy["dev_no_punct"])
    corrected = read_lines(shared_root / "data" / CORRECT_SIDES["qalb14-dev"])[:6]
    alarms = sum(len(c.edits) for c in engine.correct_batch(corrected))
    words = sum(len(line.split()) for line in corrected)
    assert 1000 * alarms / words == pytest.approx(policy["dev_false_alarms_per_1000_words"])


def test_a_written_policy_reads_back_as_the_setting_it_was_tuned_as():
    """The search starts from the directory's own policy when that is better than the defaults."""
    settings = [Setting(), Setting(kinds="none", lexicon_gate=0.45, punctuation_threshold=None, lexicon_repair=False),
                Setting(kinds="all", tagger_word_threshold=0.9, tagger_mark_threshold=1.01,
                        tagger_kinds=(("grammar", 1.01), ("hamza", 0.3)), prefer_lexicon=True, context_check=True,
                        min_confidence=0.5)]
    for setting in settings:
        assert Setting.from_policy(json.loads(json.dumps(setting.policy()))) == setting
    untagged = {key: value for key, value in Setting().policy().items() if not key.startswith("tagger")}
    off = Setting.from_policy(untagged)
    assert off.tagger_word_threshold > 1 and off.tagger_mark_threshold > 1  # a policy without a tagger keeps it off
    assert Setting.from_policy({**untagged, "kinds": ["hamza"]}) is None  # not one of the tuner's kind sets


def test_every_kind_group_is_a_search_coordinate_of_the_setting():
    """A group added to nahawi.kinds.KIND_GROUPS is searched without a new Setting field."""
    setting = Setting()
    for group in KIND_GROUPS:
        field = f"tagger_{group}"
        assert field in GRID and setting.value_of(field) is None
        moved = setting.with_value(field, 0.7)
        assert moved.value_of(field) == 0.7 and moved.policy()["tagger_kind_thresholds"] == {group: 0.7}
        assert EditPolicy.from_dict(moved.policy()).tagger_kind_thresholds == ((group, 0.7),)
        assert moved.with_value(field, None) == setting


def test_a_second_tagger_pass_is_scored_through_the_engine_as_written(tagger_model_dir, shared_root, tmp_path):
    """A second pass cannot be replayed from raw edits: `engine_row` scores it through the engine, and its
    figures are those of an engine loading that policy from model.json."""
    import shutil

    from nahawi.bench.false_alarms import CORRECT_SIDES, count_edited_words
    from nahawi.engine import Corrector, CorrectorOptions
    from nahawi.m2.reader import read_lines
    from training.evaluate import load_qalb14_dev, score_dev_hypotheses
    from training.tune import DevScorer, Stages, engine_row

    model = tmp_path / "model"
    shutil.copytree(tagger_model_dir, model)
    dev = load_qalb14_dev(shared_root / "data", 6)
    sources, corrected = dev.sources[:6], read_lines(shared_root / "data" / CORRECT_SIDES["qalb14-dev"])[:6]
    words = sum(len(line.split()) for line in corrected)
    setting = Setting(kinds="none", tagger_word_threshold=0.3, tagger_mark_threshold=0.3, tagger_passes=2)
    engine = Corrector.from_dir(model, device="cpu", options=CorrectorOptions(cache_size=0))
    row = engine_row(engine, Stages(model), DevScorer(dev), sources, corrected, words, setting)
    write_policy(model, setting.policy())
    written = Corrector.from_dir(model, device="cpu")
    assert written.stages.policy.tagger_passes == 2
    scores = score_dev_hypotheses([c.corrected for c in written.correct_batch(sources)], dev)
    assert (row["with_punct"], row["no_punct"]) == (scores["with_punct"]["f0.5"], scores["no_punct"]["f0.5"])
    alarms = sum(count_edited_words(c.source, c.edits) for c in written.correct_batch(corrected))
    assert row["false_alarms_per_1000_words"] == pytest.approx(1000 * alarms / words)


def test_the_learner_policy_is_tuned_on_learners_text_and_the_engine_shows_what_it_scored(trained_model_dir,
                                                                                          shared_root, tmp_path):
    """`tune_learner_policy` keeps the written policy's corpus stages and chooses the model's edits on QALB-2015
    dev; written as model.json's learner_policy, an engine asked for it (learner=True) scores exactly the tuned
    figures there, and one not asked for it keeps the policy."""
    import shutil

    from nahawi.bench.false_alarms import count_edited_words
    from nahawi.engine import Corrector, CorrectorOptions
    from nahawi.engine.corrector import DEFAULT_MODEL_DIR
    from nahawi.model_dir import GATE_FILE, LEXICON_FILE, PUNCTUATION_FILE
    from training.evaluate import score_dev_hypotheses
    from training.tune import MODEL_FIELDS, load_tuning_set, tune_learner_policy

    model = tmp_path / "model"
    shutil.copytree(trained_model_dir, model)
    for name in (LEXICON_FILE, GATE_FILE, PUNCTUATION_FILE):
        shutil.copy(DEFAULT_MODEL_DIR / name, model / name)
    written = json.loads((DEFAULT_MODEL_DIR / "model.json").read_text(encoding="utf-8"))["policy"]
    write_policy(model, written)
    learner = tune_learner_policy(model, shared_root / "data", docs=4, max_false_alarms=50.0,
                                  log=lambda m: None)["policy"]
    assert learner["tuned_on"].startswith("qalb15-dev first 4 documents")
    corpus_fields = set(Setting().policy()) - set(MODEL_FIELDS) - {"punctuation"}
    assert {k: learner[k] for k in corpus_fields if not k.startswith("tagger")} == \
           {k: Setting.from_policy(written).policy()[k] for k in corpus_fields if not k.startswith("tagger")}
    write_policy(model, None, learner_policy=learner)
    dev, corrected = load_tuning_set(shared_root / "data", "qalb15-dev", 4)
    engine = Corrector.from_dir(model, device="cpu", options=CorrectorOptions(learner=True, cache_size=0))
    assert engine.stages.policy.model_fills_gaps == learner["model_fills_gaps"]
    scores = score_dev_hypotheses([c.corrected for c in engine.correct_batch(dev.sources[:4])], dev)
    assert (scores["with_punct"]["f0.5"], scores["no_punct"]["f0.5"]) == (learner["dev_with_punct"],
                                                                          learner["dev_no_punct"])
    alarms = sum(count_edited_words(c.source, c.edits) for c in engine.correct_batch(corrected))
    words = sum(len(line.split()) for line in corrected)
    assert 1000 * alarms / words == pytest.approx(learner["dev_false_alarms_per_1000_words"])
    assert Corrector.from_dir(model, device="cpu").stages.policy.kinds == frozenset(written["kinds"])
