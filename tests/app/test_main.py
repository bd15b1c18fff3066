"""`nahawi-app --screenshot` and the speed probe, on the real trained tiny model."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from nahawi_app.bench import TYPED, bench_document, run_app_benchmark
from nahawi_app.main import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REPO = Path(__file__).resolve().parents[2]


def test_screenshot_writes_a_png_of_the_checked_file(tmp_path, trained_model_dir):
    source = tmp_path / "doc.md"
    source.write_text("😀 ذَهَبَ الطالبُ الى المدرسه في الصباح.\nEnglish line.\n", encoding="utf-8")  # learned
    out = tmp_path / "shots" / "window.png"
    settings = tmp_path / "user.ini"
    code = main(["--open", str(source), "--screenshot", str(out), "--model", str(trained_model_dir),
                 "--settings", str(settings), "--lang", "ar"])
    assert code == 0
    assert out.read_bytes().startswith(PNG_SIGNATURE)
    image = QImage(str(out))
    assert image.width() >= 800 and image.height() >= 500
    assert not settings.exists() or "recent" not in settings.read_text()  # a screenshot changes no settings


def test_screenshot_with_a_broken_model_still_renders(tmp_path):
    out = tmp_path / "broken.png"
    assert main(["--screenshot", str(out), "--model", str(tmp_path / "missing"),
                 "--settings", str(tmp_path / "s.ini")]) == 0
    assert out.read_bytes().startswith(PNG_SIGNATURE)


def test_the_editor_with_a_fresh_home_queues_no_telemetry(tmp_path):
    """onnxruntime-gpu 1.31 queued telemetry under ~/.cache/Microsoft/DeveloperTools on every run."""
    home, out = tmp_path / "home", tmp_path / "shot.png"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "ORT_DISABLE_TELEMETRY")}
    env.update(HOME=str(home), OMP_NUM_THREADS="1", PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", "nahawi_app.main", "--open", str(REPO / "nahawi/resources/sample.txt"),
                           "--screenshot", str(out), "--settings", str(tmp_path / "s.ini")],
                          check=False, capture_output=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    assert out.read_bytes().startswith(PNG_SIGNATURE)
    assert not (home / ".cache" / "Microsoft").exists()


def test_bench_document_has_distinct_sentences():
    document = bench_document(2000)
    sentences = [s for line in document.splitlines() for s in line.split(".") if s.strip()]
    assert 2000 <= len(document.split()) < 2020
    assert len(set(sentences)) == len(sentences)


def test_app_benchmark_reports_stalls_and_underline_delay(trained_model_dir, qapp):
    result = run_app_benchmark(trained_model_dir, words=300, keystroke_ms=20)
    assert result["ok"] and result["words"] >= 300 and result["typed_chars"] == len(TYPED)
    assert result["max_gap_ms"] > 0 and result["underline_ms"] is not None
    assert result["underline_ms"] >= result["debounce_ms"] * 0.5
    assert set(result) >= {"max_gap_ms", "underline_ms", "stall_ok", "underline_ok", "device", "model"}


def run_main(monkeypatch, argv, during):
    """main(argv) with the event loop replaced by during(window): what a user does before closing."""
    from PySide6.QtWidgets import QApplication

    from nahawi_app.window import MainWindow

    def exec_(*_):
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        during(window)
        window.editor.document().setModified(False)
        window.close()
        return 0
    monkeypatch.setattr(QApplication, "exec", exec_)
    return main(argv)


def test_model_and_lang_options_are_for_one_run_and_not_saved(tmp_path, trained_model_dir, monkeypatch, qapp):
    """--model and --lang were written into the settings as soon as any setting was saved (a zoom)."""
    settings = tmp_path / "user.ini"
    seen = []

    def during(window):
        seen.append((window.settings.language, window.settings.model_dir, window.strings("act_open")))
        window.zoom_in()  # saves the settings
    code = run_main(monkeypatch, ["--model", str(trained_model_dir), "--lang", "en", "--settings", str(settings),
                                  "--data-dir", str(tmp_path / "data")], during)
    assert code == 0 and seen == [("en", str(trained_model_dir), "Open…")]
    from nahawi_app.settings import SettingsStore

    saved = SettingsStore(settings).load()
    assert saved.zoom == 1 and saved.language == "ar" and saved.model_dir == ""


def test_a_file_named_on_the_command_line_is_opened(tmp_path, monkeypatch, qapp):
    """`nahawi-app FILE` (what a file manager's "Open with" runs) was refused: only --open FILE worked."""
    source = tmp_path / "مقالة.txt"
    source.write_text("نص المقالة\n", encoding="utf-8")
    opened = []
    code = run_main(monkeypatch, [str(source), "--model", str(tmp_path / "none"), "--settings",
                                  str(tmp_path / "s.ini"), "--data-dir", str(tmp_path / "data")],
                    lambda window: opened.append((window.path, window.editor.plain_text())))
    assert code == 0 and opened == [(str(source), "نص المقالة\n")]
