"""`nahawi correct --lang ar` says every message in Arabic (issue 15), not only its kind: usage, input,
model and device errors and the --verbose notes, on real files (a Windows-1256 Arabic file, a model
directory without model.json). Names, paths and values stay as written."""
import re

import pytest
from typer.testing import CliRunner

from nahawi.cli import EXIT_INPUT, EXIT_MODEL, EXIT_USAGE, app
from nahawi.cli.messages import arabic_message

# English words of the messages' own text (not of the names and values they quote).
ENGLISH = re.compile(r"\b(must|cannot|error|not valid|directory|missing|got|looks like|convert|"
                     r"requested|failed|using|thread|folder|name a file)\b")


def run(*args, env=None):
    return CliRunner().invoke(app, ["correct", *map(str, args)], env=env)


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "in.txt"
    good.write_text("ذهبت الى المدرسه\n", encoding="utf-8")
    cp1256 = tmp_path / "windows.txt"
    cp1256.write_bytes("ذهبت الى المدرسة\n".encode("cp1256"))
    return good, cp1256, tmp_path


def _cases(files):
    good, cp1256, folder = files
    return [
        (EXIT_USAGE, ("--format", "xml", good)),
        (EXIT_USAGE, ("--diff", "--format", "json", good)),
        (EXIT_USAGE, ("--beam", "0", good)),
        (EXIT_USAGE, ("-o", folder, good)),
        (EXIT_USAGE, ("-o", folder / "no-such" / "out.txt", good)),
        (EXIT_INPUT, (folder / "absent.txt",)),
        (EXIT_INPUT, (cp1256,)),
        (EXIT_MODEL, ("--model", folder, good)),
        (EXIT_MODEL, ("--model", folder / "nowhere", good)),
    ]


def test_every_error_is_said_in_arabic(files):
    for code, args in _cases(files):
        english = run(*args)
        arabic = run("--lang", "ar", *args)
        assert english.exit_code == arabic.exit_code == code, (args, arabic.stderr)
        message = english.stderr.strip().removeprefix("nahawi: error: ")
        assert arabic_message(message) is not None, message
        said = arabic.stderr.strip().replace(str(files[2]), "FOLDER")  # the paths it quotes are not its words
        assert said.startswith("nahawi: خطأ: ") and not ENGLISH.search(said), said


def test_nahawi_lang_in_the_environment(files):
    cp1256 = files[1]
    result = run(cp1256, env={"NAHAWI_LANG": "ar"})
    assert result.exit_code == EXIT_INPUT
    assert "ليس نصًّا بترميز UTF-8" in result.stderr and "iconv -f CP1256 -t UTF-8" in result.stderr


def test_verbose_notes_in_arabic(files):
    good, _, _ = files
    result = run("--lang", "ar", "--verbose", "--device", "cpu", good)
    assert result.exit_code == 0 and result.stdout == "ذهبت إلى المدرسة.\n"
    assert "النموذج default_model" in result.stderr and not ENGLISH.search(result.stderr)


def test_device_messages_in_arabic():
    assert arabic_message("CUDA requested but unusable: the CUDA provider failed to load (driver or "
                          "CUDA/cuDNN libraries missing)") == (
        "طُلب CUDA لكنه غير صالح للاستعمال: تعذّر تحميل مزوّد CUDA (برنامج التشغيل أو مكتبات CUDA/cuDNN ناقصة)")
    assert arabic_message("model.json says max_seq_len 512, but the graphs do not run at that length "
                          "(inference failed (x))").startswith("يذكر model.json أن max_seq_len هو 512")


def test_usage_errors_of_the_option_parser_in_arabic(files):
    """Unknown options, values of the wrong type and missing values are found by the option parser before
    any command runs; --lang ar (anywhere on the line) or NAHAWI_LANG=ar still makes them Arabic."""
    good = files[0]
    for args, env in ((("--lang", "ar", "--bogus", good), None), (("--beam", "abc", "--lang=ar", good), None),
                      ((good, "extra"), {"NAHAWI_LANG": "ar"}), (("--format",), {"NAHAWI_LANG": "ar"})):
        result = run(*args, env=env)
        assert result.exit_code == EXIT_USAGE, result.output
        first = result.stderr.splitlines()[0]
        assert first.startswith("nahawi: خطأ: خطأ في الخيارات: ") and not re.search(
            r"\b(No such|Invalid value|Input should|requires|unexpected)\b", result.stderr), result.stderr
    assert "No such option: --bogus" in run("--bogus", good).stderr  # English without --lang ar


def test_every_command_takes_lang_from_the_root_or_the_environment(tmp_path):
    """`--lang ar` was only `nahawi correct`'s: `bench`, `export` and `train` failed in English."""
    for args, env in ((["--lang", "ar", "bench", "quality", "--dataset", "nope"], None),
                      (["bench", "quality", "--dataset", "nope"], {"NAHAWI_LANG": "ar"})):
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == EXIT_INPUT
        assert result.stderr.startswith("nahawi: خطأ: خطأ في المدخلات: مجموعة بيانات غير معروفة 'nope'")
    result = CliRunner().invoke(app, ["--lang", "ar", "export", "--checkpoint", str(tmp_path / "no.pt"),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == EXIT_MODEL
    assert result.stderr.startswith("nahawi: خطأ: خطأ في النموذج: ملف نقطة الحفظ غير موجود")
    english = CliRunner().invoke(app, ["bench", "quality", "--dataset", "nope"], env={"NAHAWI_LANG": ""})
    assert english.stderr.startswith("nahawi: error: unknown dataset 'nope'")
    correct = CliRunner().invoke(app, ["--lang", "ar", "correct", str(tmp_path / "absent.txt")])
    assert correct.exit_code == EXIT_INPUT and correct.stderr.startswith("nahawi: خطأ: خطأ في المدخلات: تعذّرت قراءة")
    bad = CliRunner().invoke(app, ["--lang", "fr", "bench", "quality"])
    assert bad.exit_code == EXIT_USAGE and "--lang must be en or ar" in bad.output
