"""CLI conventions of `nahawi` (issue 15): version, one meaning per exit code, quiet device choice, NO_COLOR,
byte order marks, other encodings named, --min-confidence and spacing, one JSON record per line, Arabic
messages. Run through typer's runner on the shipped model and real Arabic."""
import codecs
import json
import sys

import pytest
from typer.testing import CliRunner

from nahawi import __version__
from nahawi.cli import EXIT_INPUT, EXIT_MODEL, EXIT_USAGE, app
from nahawi.cli import correct as correct_cli
from nahawi.engine import sessions

TEXT = "اظن ان القراءة مفيدة و الله\n"


def run(*args, stdin=None, env=None):
    return CliRunner().invoke(app, [*map(str, args)], input=stdin, env=env)


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"nahawi {__version__}"


@pytest.mark.parametrize(("args", "message"), [
    (["--bogus"], "No such option"),
    (["--format", "xml"], "'xml'"),
    (["--diff", "--format", "json"], "cannot be used with --format json"),
    (["--diff", "--format", "m2"], "cannot be used with --format m2"),
    (["--beam", "0"], "beam must be"),
    (["--lang", "fr"], "--lang"),
])
def test_usage_errors_have_their_own_exit_code(args, message):
    result = run("correct", *args, stdin=TEXT)
    assert result.exit_code == EXIT_USAGE and message in result.output and result.stdout == ""


def test_model_and_input_errors_keep_theirs(tmp_path):
    assert run("correct", tmp_path / "missing.txt").exit_code == EXIT_INPUT
    assert run("correct", "--model", tmp_path, stdin=TEXT).exit_code == EXIT_MODEL


def test_help_lists_every_exit_code():
    for args in ([], ["correct"]):
        text = " ".join(run(*args, "--help").stdout.split())
        assert "4 usage error" in text and "5 missing extra" in text and "2 model error" in text


def test_device_auto_says_nothing_when_cuda_is_unusable(monkeypatch):
    """onnxruntime-gpu with CUDA libraries partly present: `auto` falls back to the CPU in silence,
    --verbose says why, `--device cuda` is a model error that says why."""
    why = "the CUDA provider failed to load (driver or CUDA/cuDNN libraries missing)"
    monkeypatch.setattr(sessions, "_try_cuda", lambda paths, threads: (None, why))
    quiet = run("correct", stdin=TEXT)
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout.startswith("أظن أن")
    verbose = run("correct", "--verbose", stdin=TEXT)
    assert verbose.exit_code == 0 and why in verbose.stderr and "CPUExecutionProvider" in verbose.stderr
    cuda = run("correct", "--device", "cuda", stdin=TEXT)
    assert cuda.exit_code == EXIT_MODEL and f"CUDA requested but unusable: {why}" in cuda.stderr


def test_no_color_is_honoured(monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert correct_cli._color_wanted()
    monkeypatch.setenv("NO_COLOR", "1")
    assert not correct_cli._color_wanted()


def test_a_byte_order_mark_is_kept_and_the_first_word_corrected(tmp_path):
    plain, marked = tmp_path / "plain.txt", tmp_path / "bom.txt"
    plain.write_text(TEXT, encoding="utf-8")
    marked.write_bytes(codecs.BOM_UTF8 + TEXT.encode("utf-8"))
    expected = run("correct", plain).stdout_bytes
    assert expected.startswith("أظن".encode())
    assert run("correct", marked).stdout_bytes == codecs.BOM_UTF8 + expected


def test_min_confidence_keeps_spacing_edits():
    rows = [json.loads(line) for line in run("correct", "--format", "json", "--min-confidence", "0.99",
                                             stdin=TEXT).stdout.splitlines()]
    spacing = [e for e in rows[0]["edits"] if e["rule_id"] == "spacing"]
    assert [(e["original"], e["replacement"], e["confidence"]) for e in spacing] == [("و الله", "والله", None)]
    assert all(e["confidence"] is None or e["confidence"] >= 0.99 for e in rows[0]["edits"])


def test_json_records_are_one_line_whatever_the_line_separators():
    text = "ذهبت الى\u2028السوق\u0085ثم عدت\u2029الى البيت\n"
    out = run("correct", "--format", "json", stdin=text).stdout
    assert out.count("\n") == 1 and not any(c in out for c in "\u2028\u2029\u0085")
    assert json.loads(out)["source"] == text.rstrip("\n")


@pytest.mark.parametrize(("encoding", "named"), [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16LE"),
                                                  ("cp1256", "Windows-1256")])
def test_other_encodings_are_named(tmp_path, encoding, named):
    path = tmp_path / "in.txt"
    path.write_bytes(TEXT.encode(encoding))
    result = run("correct", path)
    assert result.exit_code == EXIT_INPUT and "not valid UTF-8" in result.stderr and named in result.stderr
    assert "iconv" in result.stderr and result.stdout == ""


def test_arabic_messages_with_lang_or_env(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes(TEXT.encode("cp1256"))
    for result in (run("correct", "--lang", "ar", path), run("correct", path, env={"NAHAWI_LANG": "ar"})):
        assert result.exit_code == EXIT_INPUT and "خطأ في المدخلات" in result.stderr


def test_help_keeps_brackets_names_env_vars_and_shows_flags_as_flags():
    text = " ".join(run("correct", "--help").stdout.split())
    assert "[-old-]{+new+}" in text and "[env var: NAHAWI_LANG]" in text and "[default: auto]" in text
    assert "<bool>" not in text and "--diff Show changes" in text
    bench = " ".join(run("bench", "speed", "--help").stdout.split())
    assert "[the embedded model]" in bench and "[env NAHAWI_DATA_ROOT, default ../shared/data]" in bench
