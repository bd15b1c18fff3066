"""`nahawi bench ablation`: the pipeline whole and less one stage at a time, on real QALB-2014 dev documents."""
import pytest
from typer.testing import CliRunner

from nahawi.bench.ablation import run_ablation
from nahawi.bench.false_alarms import measure_false_alarms
from nahawi.bench.quality import score_dataset
from nahawi.cli.bench import app
from nahawi.errors import InputError

DOCS = 25


@pytest.fixture(scope="module")
def report(shared_root):
    return run_ablation("qalb14-dev", shared_root / "data", None, DOCS)


def test_the_full_row_is_what_the_quality_and_false_alarm_benches_measure(report, shared_root):
    full = report["rows"][0]
    assert full["variant"] == "full pipeline" and "stage_buys" not in full
    quality = score_dataset("qalb14-dev", shared_root / "data", None, limit=DOCS).to_dict()
    assert full["with_punct"]["f0.5"] == quality["with_punct"]["f0.5"]
    assert full["no_punct"]["f0.5"] == quality["no_punct"]["f0.5"]
    alarms = measure_false_alarms("qalb14-dev", shared_root / "data", None, DOCS)
    assert full["false_alarms_per_1000_words"] == alarms["per_1000_words"]


def test_each_stage_the_default_runs_has_a_row_and_what_it_buys(report):
    rows = {row["variant"]: row for row in report["rows"]}
    # the default shows no seq2seq edit and has no tagger: those rows would only repeat the full pipeline's
    assert set(rows) == {"full pipeline", "without the lexicon (and its spacing)", "without the spacing",
                         "without the punctuation model"}
    full = rows["full pipeline"]
    for row in report["rows"][1:]:
        buys = row["stage_buys"]
        assert buys["with_punct"] == pytest.approx(full["with_punct"]["f0.5"] - row["with_punct"]["f0.5"], abs=1e-4)
        assert buys["false_alarms_per_1000_words"] == pytest.approx(
            full["false_alarms_per_1000_words"] - row["false_alarms_per_1000_words"], abs=1e-3)
    # the punctuation model only writes marks: the score without punctuation cannot move
    assert rows["without the punctuation model"]["no_punct"] == full["no_punct"]
    assert rows["without the punctuation model"]["stage_buys"]["with_punct"] > 0
    # the lexicon is where the default's word corrections come from
    assert rows["without the lexicon (and its spacing)"]["stage_buys"]["no_punct"] > 0.3


def test_a_tagger_directory_gets_the_tagger_row(shared_root, tagger_model_dir):
    rows = run_ablation("qalb14-dev", shared_root / "data", tagger_model_dir, 3)["rows"]
    names = [row["variant"] for row in rows]
    assert "without the edit tagger" in names and "without the seq2seq model's edits" not in names


def test_command_prints_the_table_and_refuses_a_test_split(shared_root):
    result = CliRunner().invoke(app, ["ablation", "--limit", "3", "--data-root", str(shared_root / "data")])
    assert result.exit_code == 0, result.output
    assert "without the punctuation model" in result.output and "alarms" in result.output
    with pytest.raises(InputError, match="corrected side"):
        run_ablation("qalb14-test", shared_root / "data", None, 3)
