"""Fixtures for the editor tests: a real tiny model (built once per session), a real Corrector on it, and
real main windows with their own temporary settings file and data folder.

The tiny model is untrained, so its own outputs are always refused by the engine; `teach` gives the
Corrector known outputs for chosen sentences instead: the gold sentence is encoded as the model's output,
turned into edits by the engine's own `segment_edits`, and stored in the engine's segment cache under the
key `correct_batch` looks up. Everything after that — segmentation, the cache hit, offsets, the worker
thread, the widgets — is the real path, and expectations come from `corrector.correct(text)`.
"""
from __future__ import annotations

import os

import pytest
from app_helpers import LESSONS, teach

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "1")

pytest.importorskip("PySide6", reason="editor tests need the 'app' extra (PySide6)")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    torch = pytest.importorskip("torch", reason="building the tiny model needs the 'train' extra (torch)")
    from export.fixtures import build_tiny_model_dir

    path = tmp_path_factory.getbasetemp() / "tiny-model"
    if not (path / "model.json").is_file():
        previous = torch.get_num_threads()
        torch.set_num_threads(1)  # the machine's other core belongs to a training job
        try:
            build_tiny_model_dir(path)
        finally:
            torch.set_num_threads(previous)
    return path


@pytest.fixture(scope="session")
def corrector(tiny_model_dir):
    from nahawi.engine import Corrector, CorrectorOptions

    return Corrector.from_dir(tiny_model_dir, device="cpu", options=CorrectorOptions(threads=1))


@pytest.fixture(scope="session")
def taught(corrector):
    for source, target in LESSONS:
        teach(corrector, source, target)
    return corrector


@pytest.fixture
def make_window(qtbot, tmp_path, taught):
    """Build MainWindows on the taught engine with temporary settings; all are closed after the test.

    By default they check on demand only, so each test decides when a check runs (`app_helpers.check`)."""
    from nahawi_app.settings import AppSettings, SettingsStore
    from nahawi_app.window import MainWindow

    windows = []

    def make(engine=lambda: taught, settings: AppSettings | None = None, **kwargs):
        kwargs.setdefault("data_dir", tmp_path / "data")
        kwargs.setdefault("offer_recovery", False)
        store = SettingsStore(tmp_path / "settings.ini")
        window = MainWindow(store, settings=settings or AppSettings(check_while_typing=False), engine=engine, **kwargs)
        windows.append(window)
        window.show()
        return window

    yield make
    for window in windows:
        window.editor.document().setModified(False)  # no save prompt at teardown
        window.close()


@pytest.fixture
def window(make_window, qtbot):
    """A window whose engine has loaded."""
    window = make_window()
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    return window
