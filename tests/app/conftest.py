"""Fixtures for the editor tests: a real Corrector on the shared trained tiny model (`trained_model_dir`,
root conftest; it really corrects the sentences in `export.fixtures.TRAINED_CORRECTIONS`), and real main
windows on it with their own temporary settings file and data folder.

Nothing is stubbed: the model's own output goes through segmentation, the engine, the worker thread and
the widgets, and expectations come from `corrector.correct(text)` on the same text.
"""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "1")

pytest.importorskip("PySide6", reason="editor tests need the 'app' extra (PySide6)")


@pytest.fixture(scope="session")
def corrector(trained_model_dir):
    from nahawi.engine import Corrector, CorrectorOptions

    return Corrector.from_dir(trained_model_dir, device="cpu", options=CorrectorOptions(threads=1))


@pytest.fixture
def make_window(qtbot, tmp_path, corrector):
    """Build MainWindows on the shared engine with temporary settings; all are closed after the test.

    By default they check on demand only, so each test decides when a check runs (`app_helpers.check`)."""
    from nahawi_app.settings import AppSettings, SettingsStore
    from nahawi_app.window import MainWindow

    windows = []

    def make(engine=lambda: corrector, settings: AppSettings | None = None, **kwargs):
        kwargs.setdefault("data_dir", tmp_path / "data")
        kwargs.setdefault("offer_recovery", False)
        store = SettingsStore(tmp_path / "settings.ini")
        window = MainWindow(store, settings=settings or AppSettings(check_while_typing=False), engine=engine, **kwargs)
        windows.append(window)
        window.show()
        return window

    yield make
    from nahawi_app.worker import wait_for_workers

    for window in windows:
        window.editor.document().setModified(False)  # no save prompt at teardown
        window.close()
    wait_for_workers()  # closing does not wait for a check; the test's end does


@pytest.fixture
def window(make_window, qtbot):
    """A window whose engine has loaded."""
    window = make_window()
    qtbot.waitUntil(lambda: window.info is not None, timeout=20000)
    return window
