"""`nahawi bench quality` and `nahawi bench scorer` through typer's runner: JSON shape, errors as one
line with an exit code, the dataset mode (real data, real tiny model) and pair files."""
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nahawi.bench.quality import GROUPS, frequent_misses, kind_breakdown, score_dataset
from nahawi.cli.bench import app
from nahawi.m2 import read_lines, read_m2, score_corpus

FIXTURES = Path(__file__).parent / "fixtures" / "m2"
CORPUS, HYP = FIXTURES / "corpus.m2", FIXTURES / "corpus.hyp"


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _fails_cleanly(result, code, *words):
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and result.output.count("\n") == 1
    assert result.output.startswith("nahawi: error: ") and all(w in result.output for w in words)


def test_json_shape_of_a_hypothesis_file():
    result = run("quality", "--hyp", HYP, "--m2", CORPUS, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"name", "sentences", "with_punct", "no_punct", "kinds"}
    assert report["sentences"] == 6 and report["no_punct"] is None
    assert report["with_punct"] == {"precision": 0.7143, "recall": 0.8333, "f0.5": 0.7353, "correct": 5,
                                    "proposed": 7, "gold": 6, "inexact_lines": []}
    assert [k["kind"] for k in report["kinds"]] == list(GROUPS)
    assert set(report["kinds"][0]) == {"kind", "gold", "gold_found", "recall", "proposed", "proposed_correct",
                                       "precision"}
    assert sum(k["gold"] for k in report["kinds"]) == 6 and sum(k["proposed"] for k in report["kinds"]) == 7
    assert sum(k["gold_found"] for k in report["kinds"]) == 5


def test_table_output():
    result = run("quality", "--hyp", HYP, "--m2", CORPUS)
    assert result.exit_code == 0, result.output
    assert "with punctuation" in result.output and "71.4" in result.output and "By error kind" in result.output


def test_no_punct_strips_the_hypothesis(tmp_path):
    gold = tmp_path / "gold.nopnx.m2"
    gold.write_text("S قال نعم\nA 0 1|||Edit|||وقال|||REQUIRED|||-NONE-|||0\n\n", encoding="utf-8")
    hyp = tmp_path / "hyp.txt"
    hyp.write_text("وقال : نعم .\n", encoding="utf-8")
    report = json.loads(run("quality", "--hyp", hyp, "--m2", gold, "--no-punct", "--json").output)
    assert report["with_punct"] is None
    assert (report["no_punct"]["correct"], report["no_punct"]["proposed"]) == (1, 1)


def test_wrong_number_of_lines_is_one_clear_line(tmp_path):
    hyp = tmp_path / "short.txt"
    hyp.write_text("".join(line + "\n" for line in read_lines(HYP)[:5]), encoding="utf-8")
    _fails_cleanly(run("quality", "--hyp", hyp, "--m2", CORPUS), 1, "5 lines", "6 sentences")


def test_malformed_gold_names_the_line():
    _fails_cleanly(run("quality", "--hyp", HYP, "--m2", FIXTURES / "bad_span.m2"), 1, "bad_span.m2:2:")


@pytest.mark.parametrize("args", [[], ["--hyp", HYP], ["--hyp", HYP, "--m2", CORPUS, "--dataset", "qalb14-dev"]])
def test_exactly_one_mode(args):
    _fails_cleanly(run("quality", *args), 1)


def test_unknown_dataset_and_missing_data_root(tmp_path):
    _fails_cleanly(run("quality", "--dataset", "qalb99", "--data-root", tmp_path), 1, "unknown dataset")
    _fails_cleanly(run("quality", "--dataset", "qalb14-dev", "--data-root", tmp_path / "none"), 1, "data root")


def test_dataset_with_a_missing_model_fails_clearly(shared_root, tmp_path):
    result = run("quality", "--dataset", "qalb14-dev", "--data-root", shared_root / "data", "--limit", "2",
                 "--model", tmp_path / "no-model")
    _fails_cleanly(result, 2, "no-model")


def test_dataset_scores_the_source_as_a_system(shared_root):
    """The identity system (source as hypothesis) on QALB-2014 test: the published source row."""
    report = score_dataset("qalb14-test", shared_root / "data", correct=lambda texts: texts)
    assert (report.punct.correct, report.punct.proposed, report.punct.gold) == (0, 0, 16378)
    assert (report.nopunct.correct, report.nopunct.proposed, report.nopunct.gold) == (0, 0, 9562)


def test_the_commonest_misses_say_where_the_points_are(shared_root):
    """The identity system on QALB-2014 test misses every gold edit and makes none: its commonest misses are
    the inserted comma and full stop, and `--misses` adds them to the JSON."""
    report = score_dataset("qalb14-test", shared_root / "data", correct=lambda texts: texts)
    found = frequent_misses(report.punct, 2)
    assert list(found) == list(GROUPS) and all(not lists["wrong"] for lists in found.values())
    (first, first_times), (second, _) = [(tuple(m[:2]), m[2]) for m in found["punctuation"]["missed"]]
    assert first == ("", "،") and second == ("", ".") and first_times > 3000
    hamza = {tuple(m[:2]) for m in frequent_misses(report.punct, 5)["hamza"]["missed"]}
    assert ("الى", "إلى") in hamza
    kinds = {k.group: k for k in report.kinds}
    assert sum(m[2] for m in frequent_misses(report.punct, 10**6)["hamza"]["missed"]) == kinds["hamza"].gold


def test_misses_flag_on_a_hypothesis_file():
    result = run("quality", "--hyp", HYP, "--m2", CORPUS, "--json", "--misses", "3")
    assert result.exit_code == 0, result.output
    misses = json.loads(result.output)["misses"]
    assert misses["other"]["missed"] == [["", "he then", 1]]
    assert sorted(misses["other"]["wrong"]) == [["fine", "fines", 1], ["went", "he then went", 1]]
    assert "commonest misses" in run("quality", "--hyp", HYP, "--m2", CORPUS, "--misses", "1").output


def test_dataset_runs_the_model_end_to_end(shared_root, tiny_model_dir, tmp_path):
    out = tmp_path / "hyp.txt"
    result = run("quality", "--dataset", "zaebuc-dev", "--data-root", shared_root / "data", "--model",
                 tiny_model_dir, "--limit", "2", "--hyp-out", out, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["sentences"] == 2 and report["with_punct"]["gold"] > 0 and report["no_punct"]["gold"] > 0
    assert len(read_lines(out)) == 2


def test_kind_breakdown_counts_every_edit_once():
    score = score_corpus(read_m2(CORPUS), read_lines(HYP))
    kinds = {k.group: k for k in kind_breakdown(score)}
    assert sum(k.gold for k in kinds.values()) == score.gold
    assert sum(k.proposed_correct for k in kinds.values()) == score.correct
    assert kinds["spacing/split/merge"].gold == 2 and kinds["spacing/split/merge"].recall == 1.0


def test_pairs_with_precomputed_hypotheses():
    """hamza 1/2, ta_marbuta 1/1 (extra spaces do not count), clean 1/2; one of the two clean sentences
    was changed: false-alarm rate 0.5."""
    result = run("quality", "--pairs", FIXTURES / "pairs.jsonl", "--pairs-hyp", FIXTURES / "pairs.hyp", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["pairs"] == 5
    assert {c: (a["correct"], a["total"]) for c, a in report["accuracy"].items()} == {
        "clean": (1, 2), "hamza": (1, 2), "ta_marbuta": (1, 1), "all": (3, 5)}
    assert report["false_alarms"] == {"changed": 1, "clean": 2, "rate": 0.5}
    table = run("quality", "--pairs", FIXTURES / "pairs.jsonl", "--pairs-hyp", FIXTURES / "pairs.hyp")
    assert table.exit_code == 0 and "false alarms: 1 of 2" in table.output


def test_pairs_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"source": "a", "target": "b"}\n{"source": "a"}\n', encoding="utf-8")
    _fails_cleanly(run("quality", "--pairs", bad, "--pairs-hyp", FIXTURES / "pairs.hyp"), 1, "bad.jsonl:2")
    _fails_cleanly(run("quality", "--pairs", FIXTURES / "pairs.jsonl", "--pairs-hyp", HYP), 1, "6 lines", "5 pairs")
    listed = tmp_path / "pairs.json"
    listed.write_text(json.dumps({"pairs": [{"source": "a b", "target": "a b"}]}), encoding="utf-8")
    one = tmp_path / "one.txt"
    one.write_text("a c\n", encoding="utf-8")
    report = json.loads(run("quality", "--pairs", listed, "--pairs-hyp", one, "--json").output)
    assert report["accuracy"] == {"all": {"correct": 0, "total": 1, "accuracy": 0.0}}
    assert report["false_alarms"]["rate"] == 1.0


def _reference_folder(tmp_path, correct):
    shutil.copy(CORPUS, tmp_path / "gold.m2")
    shutil.copy(HYP, tmp_path / "system.txt")
    expected = {"system.txt": {"gold": "gold.m2", "correct": correct, "proposed": 7, "gold_edits": 6,
                               "precision": round(5 / 7, 4), "recall": 0.8333, "f0.5": 0.7353}}
    (tmp_path / "expected.json").write_text(json.dumps(expected), encoding="utf-8")
    return tmp_path


def test_scorer_command_checks_expected_counts(tmp_path):
    result = run("scorer", "--reference", _reference_folder(tmp_path, 5), "--json")
    assert result.exit_code == 0, result.output
    line = json.loads(result.output)
    assert line["matches"] and line["correct"] == 5 and line["seconds"] >= 0


def test_scorer_command_reports_a_difference(tmp_path):
    result = run("scorer", "--reference", _reference_folder(tmp_path, 4))
    assert result.exit_code == 1 and "DIFFERS" in result.output and "1 of 1 files differ" in result.output


def test_the_seq2seq_alone_is_the_shipped_graphs_with_nothing_else(shared_root, tmp_path):
    """`--seq2seq-alone` scores what a directory holding only the default's seq2seq graphs corrects (every edit
    of the model shown, no corpus stage): issue 19 measures the model so. The default policy shows none of
    the seq2seq's edits, so its own output differs; `--beam` runs the beam search; both need --dataset."""
    from nahawi.engine.corrector import DEFAULT_MODEL_DIR

    alone = tmp_path / "alone"
    alone.mkdir()
    document = json.loads((DEFAULT_MODEL_DIR / "model.json").read_text(encoding="utf-8"))
    kept = {name: entry for name, entry in document["files"].items()
            if name.endswith((".onnx", ".bin")) or name == "spm.model"}
    for name in kept:
        shutil.copy(DEFAULT_MODEL_DIR / name, alone / name)
    for name in ("strict_policy", "learner_policy"):
        document.pop(name, None)
    document.update(files=kept, policy={"kinds": None, "min_confidence": 0.0, "punctuation": False})
    (alone / "model.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    data, outputs = shared_root / "data", {}
    for name, args in {"flag": ["--seq2seq-alone"], "directory": ["--model", alone], "default": [],
                       "beam": ["--seq2seq-alone", "--beam", "3"]}.items():
        out = tmp_path / f"{name}.txt"
        result = run("quality", "--dataset", "qalb14-dev", "--data-root", data, "--limit", "4", "--hyp-out", out,
                     "--json", *args)
        assert result.exit_code == 0, result.output
        outputs[name] = read_lines(out)
    assert outputs["flag"] == outputs["directory"] != outputs["default"]
    assert len(outputs["beam"]) == 4 and outputs["beam"] != outputs["default"]
    _fails_cleanly(run("quality", "--dataset", "qalb14-dev", "--data-root", data, "--seq2seq-alone", "--strict"),
                   1, "--seq2seq-alone")
    _fails_cleanly(run("quality", "--hyp", HYP, "--m2", CORPUS, "--beam", "2"), 1, "--dataset")
    _fails_cleanly(run("quality", "--dataset", "qalb14-dev", "--data-root", data, "--limit", "1", "--seq2seq-alone",
                       "--beam", "65"), 1, "beam must be")  # the size reaches the engine's search
