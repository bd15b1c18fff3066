"""`nahawi correct` end to end through typer's runner, on the tiny exported model and real QALB lines."""
import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nahawi.cli import app

QALB_DEV = Path(os.environ.get("NAHAWI_SHARED", Path(__file__).resolve().parents[2].parent / "shared")) / "data/qalb/2014/dev"
FALLBACK_LINES = ["ذهب الولد الى المدرسه، ثم عاد.", "هل قرات الكتاب الذى اعطيتك اياه؟", "ان الطالب مجتهد جدا ."]




@pytest.fixture(scope="module")
def lines():
    source = QALB_DEV / "QALB-2014-L1-Dev.sent.no_ids"
    if not source.exists():
        return FALLBACK_LINES
    return source.read_text(encoding="utf-8").splitlines()[:5]


def run(*args, stdin: bytes | None = None):
    return CliRunner().invoke(app, ["correct", *map(str, args)], input=stdin)


def test_text_output_is_the_input_byte_for_byte_when_nothing_is_corrected(tiny_model_dir, tmp_path, lines):
    text = "\n".join(lines[:2]) + "\n\n   \r\nhello 😀\tworld\r\n" + lines[2]  # no final newline
    data = text.encode("utf-8")
    path = tmp_path / "in.txt"
    path.write_bytes(data)
    result = run(path, "--model", tiny_model_dir, "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == data
    assert run("-", "--model", tiny_model_dir, stdin=data).stdout_bytes == data


def test_json_lines_have_the_documented_shape(tiny_model_dir, tmp_path, lines):
    path = tmp_path / "in.txt"
    path.write_text("\n".join([*lines, "", "no arabic here"]) + "\n", encoding="utf-8")
    result = run(path, "--model", tiny_model_dir, "--format", "json", "--no-guard", "--beam", "2")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source"] for r in records] == [*lines, "", "no arabic here"]
    for number, record in enumerate(records, 1):
        assert set(record) == {"line", "source", "corrected", "edits"} and record["line"] == number
        for edit in record["edits"]:
            assert set(edit) == {"start", "end", "original", "replacement", "kind", "confidence"}
            assert record["source"][edit["start"]:edit["end"]] == edit["original"]


def test_m2_blocks_use_the_benchmark_tokenisation(tiny_model_dir, tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("ذهب الولد، ثم عاد.\n", encoding="utf-8")
    result = run(path, "--model", tiny_model_dir, "--format", "m2")
    assert result.exit_code == 0, result.output
    assert result.stdout == "S ذهب الولد ، ثم عاد .\nA -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0\n\n"


def test_output_file_is_written_whole(tiny_model_dir, tmp_path, lines):
    source, target = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(source, "--model", tiny_model_dir, "--output", target, "--diff")
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "out.txt"]


def test_output_keeps_the_mode_of_the_file_it_replaces(tiny_model_dir, tmp_path, lines):
    """--output used to leave every file 0600 (mkstemp's mode), shared or not."""
    source, shared, new = tmp_path / "in.txt", tmp_path / "shared.txt", tmp_path / "new.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shared.write_text("old\n", encoding="utf-8")
    shared.chmod(0o664)
    mask = os.umask(0o027)
    try:
        for target in (shared, new):
            result = run(source, "--model", tiny_model_dir, "--output", target)
            assert result.exit_code == 0, result.output
    finally:
        os.umask(mask)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o664
    assert stat.S_IMODE(new.stat().st_mode) == 0o640


def test_invalid_utf8_names_the_byte_offset_and_writes_nothing(tiny_model_dir, tmp_path):
    source, target = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_bytes("ذهب الولد\n".encode() + b"abc\xff def\n")
    result = run(source, "--model", tiny_model_dir, "--output", target)
    assert result.exit_code == 1
    assert "not valid UTF-8" in result.stderr
    assert "byte offset 21" in result.stderr and "line 2" in result.stderr
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]


def test_empty_input_gives_empty_output(tiny_model_dir, tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    for output_format in ("text", "json", "m2"):
        result = run(path, "--model", tiny_model_dir, "--format", output_format)
        assert result.exit_code == 0 and result.stdout == ""


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--format", "xml"], 4, "'xml'"),
    (["--device", "tpu"], 4, "'tpu'"),
    (["--beam", "0"], 4, "beam must be"),
    (["--min-confidence", "2"], 4, "min_confidence"),
])
def test_bad_options_are_usage_errors(tiny_model_dir, tmp_path, args, code, message):
    path = tmp_path / "in.txt"
    path.write_text("ذهب الولد\n", encoding="utf-8")
    result = run(path, "--model", tiny_model_dir, *args)
    assert result.exit_code == code and message in result.stderr and "Traceback" not in result.output


def test_missing_file_and_model_have_their_exit_codes(tiny_model_dir, tmp_path):
    result = run(tmp_path / "nowhere.txt", "--model", tiny_model_dir)
    assert result.exit_code == 1 and "cannot read" in result.stderr
    path = tmp_path / "in.txt"
    path.write_text("ذهب الولد\n", encoding="utf-8")
    result = run(path, "--model", tmp_path / "no-model", "--output", tmp_path / "out.txt")
    assert result.exit_code == 2 and "model" in result.stderr
    assert not (tmp_path / "out.txt").exists()


def test_help_documents_the_exit_codes():
    result = run("--help")
    assert result.exit_code == 0
    assert "0 ok, 1 input error" in " ".join(result.stdout.split())


def test_strict_uses_the_default_models_strict_policy(shared_root):
    """The shipped model's strict policy (model.json `strict_policy`: a higher lexicon ratio and punctuation
    threshold) keeps a subset of the default edits, and fewer of them on real text."""
    text = "".join(line + "\n" for line in (QALB_DEV / "QALB-2014-L1-Dev.sent.no_ids").read_text(
        encoding="utf-8").splitlines()[:40])
    default = [json.loads(line) for line in run("--format", "json", stdin=text).stdout.splitlines()]
    strict = [json.loads(line) for line in run("--format", "json", "--strict", stdin=text).stdout.splitlines()]
    spans = lambda rows: {(i, e["start"], e["end"], e["replacement"])
                          for i, r in enumerate(rows) for e in r["edits"]}
    assert spans(strict) < spans(default)


def test_learner_adds_the_seq2seqs_corrections_to_the_default_ones_and_excludes_strict():
    """--learner: the shipped model's learner policy keeps every edit of the default policy and adds the
    seq2seq's where the corpus stages make none (a learner's «كانو» for «كانوا»); with --strict it is a usage
    error (exit 4), both policies named."""
    text = "الطلاب كانو في المدرسة و المسؤل عنهم غائب\nذهب الولد الى المدرسه\n"
    default = [json.loads(line) for line in run("--format", "json", stdin=text).stdout.splitlines()]
    learner = [json.loads(line) for line in run("--format", "json", "--learner", stdin=text).stdout.splitlines()]
    spans = lambda rows: {(i, e["start"], e["end"], e["replacement"]) for i, r in enumerate(rows) for e in r["edits"]}
    assert spans(default) < spans(learner)
    added = [e for r in learner for e in r["edits"] if e["rule_id"] == "model"]
    assert [(e["original"], e["replacement"], e["kind"]) for e in added] == [("كانو", "كانوا", "morphology")]
    both = run("--strict", "--learner", stdin=text)
    assert both.exit_code == 4 and "--strict and --learner" in both.output


def test_latin_marks_keep_the_writers_marks_and_write_added_ones_the_latin_way(shared_root):
    """--latin-marks on real QALB lines that hold Latin commas: the shipped model's other corrections are the
    same (the marks it adds written «,» «?» «;»: the shipped threshold adds almost only «.», see
    test_punctuation for the rest); its «,» → «،» edits are gone, and no Arabic mark appears."""
    lines = [line for line in (QALB_DEV / "QALB-2014-L1-Dev.sent.no_ids").read_text(
        encoding="utf-8").splitlines() if "," in line][:120]
    text = "".join(line + "\n" for line in lines)
    rows = lambda *args: [json.loads(line) for line in run("--format", "json", *args, stdin=text).stdout.splitlines()]
    arabic, latin = rows(), rows("--latin-marks")
    to_latin = str.maketrans("،؟؛", ",?;")
    expected, dropped = set(), 0
    for i, row in enumerate(arabic):
        for e in row["edits"]:
            if e["replacement"].translate(to_latin) == e["original"]:
                dropped += 1
                continue
            replacement = e["replacement"] if set("،؟؛") & set(e["original"]) else e["replacement"].translate(to_latin)
            expected.add((i, e["start"], e["end"], e["original"], replacement))
    found = {(i, e["start"], e["end"], e["original"], e["replacement"]) for i, r in enumerate(latin) for e in r["edits"]}
    assert found == expected and dropped >= 100
    for row in latin:
        assert row["corrected"].count(",") >= row["source"].count(",")
        assert all(row["corrected"].count(mark) <= row["source"].count(mark) for mark in "،؟؛")
