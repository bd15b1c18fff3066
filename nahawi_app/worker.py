"""Checking off the GUI thread: a worker that owns the engine, and the controller that feeds it.

Owns when and what is checked. `CheckWorker` lives in its own QThread, loads the engine there (loading can
take seconds) and corrects the whole document on request; the engine's segment cache means only sentences
that changed since the last check reach the model. `CheckController` lives on the GUI thread: every document
change bumps a revision and (when checking while typing) restarts a debounce timer; at most one request is
in flight, tagged with its revision; a result whose revision is no longer current is dropped and the latest
text is sent instead. The two talk only through queued signals; the worker never touches a widget.
Knows nothing of underlines, files or settings dialogs.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from nahawi.contract import Correction
from nahawi.errors import NahawiError

EngineFactory = Callable[[], object]  # returns a loaded nahawi.engine.Corrector


@dataclass(frozen=True)
class CheckRequest:
    revision: int
    text: str
    min_confidence: float | None


@dataclass(frozen=True)
class CheckResult:
    revision: int
    text: str  # the text that was checked; edits are code-point offsets into it
    correction: Correction
    seconds: float  # time the engine took
    decoded: int  # segments that missed the cache and went through the model


def engine_factory(model_dir: str = "", device: str = "auto", strict: bool = False) -> EngineFactory:
    """A loader for the engine on model_dir ("" = the bundled model), with the model's strict policy when
    asked, run on the worker thread."""
    def load():
        from nahawi.engine import Corrector, CorrectorOptions

        return Corrector.from_dir(model_dir or None, device=device, options=CorrectorOptions(strict=strict))
    return load


def describe_error(error: BaseException) -> str:
    if isinstance(error, NahawiError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class CheckWorker(QObject):
    loaded = Signal(object)  # EngineInfo of the engine now in use
    load_failed = Signal(str)
    checked = Signal(object)  # CheckResult
    check_failed = Signal(int, str)  # revision, message

    def __init__(self):
        super().__init__()
        self.engine = None

    @Slot(object)
    def load(self, factory: EngineFactory) -> None:
        self.engine = None
        try:
            self.engine = factory()
        except Exception as error:  # noqa: BLE001 - any loading failure is reported in the UI; the editor keeps working
            self.load_failed.emit(describe_error(error))
            return
        self.loaded.emit(self.engine.info)

    @Slot(object)
    def check(self, request: CheckRequest) -> None:
        if self.engine is None:
            self.check_failed.emit(request.revision, "no model loaded")
            return
        started, misses = time.perf_counter(), self.engine.cache_stats().misses
        try:
            correction = self.engine.correct_batch([request.text], min_confidence=request.min_confidence)[0]
        except Exception as error:  # noqa: BLE001 - reported on the GUI thread; the next edit triggers a new check
            self.check_failed.emit(request.revision, describe_error(error))
            return
        decoded = self.engine.cache_stats().misses - misses
        self.checked.emit(CheckResult(request.revision, request.text, correction,
                                      time.perf_counter() - started, decoded))


class CheckController(QObject):
    """GUI-side scheduling of checks; emits `result` only for the document's current revision."""

    result = Signal(object)  # CheckResult for the current revision
    state_changed = Signal(str)  # loading | no_model | waiting | checking | checked | failed | off
    engine_ready = Signal(object)  # EngineInfo
    engine_failed = Signal(str)
    check_error = Signal(str)
    _load = Signal(object)
    _check = Signal(object)

    def __init__(self, text_source: Callable[[], str], parent: QObject | None = None):
        super().__init__(parent)
        self.text_source = text_source
        self.revision = 0
        self.while_typing, self.min_confidence = True, None
        self.info, self.state = None, "loading"
        self._in_flight: int | None = None  # revision of the request the worker is working on
        self._wanted = False  # a check of the current revision was asked for and not yet delivered
        self.debounce = QTimer(self, singleShot=True, interval=150)
        self.debounce.timeout.connect(self.check_now)
        self.thread = QThread()
        self.thread.setObjectName("nahawi-check")
        self.worker = CheckWorker()
        self.worker.moveToThread(self.thread)
        self._load.connect(self.worker.load)
        self._check.connect(self.worker.check)
        self.worker.loaded.connect(self._on_loaded)
        self.worker.load_failed.connect(self._on_load_failed)
        self.worker.checked.connect(self._on_checked)
        self.worker.check_failed.connect(self._on_check_failed)
        self.thread.start()

    def configure(self, while_typing: bool, delay_ms: int, min_confidence: float) -> None:
        self.while_typing, self.min_confidence = while_typing, (min_confidence or None)
        self.debounce.setInterval(delay_ms)

    def load_engine(self, factory: EngineFactory) -> None:
        self.info = None
        self._set_state("loading")
        self._load.emit(factory)

    @property
    def busy(self) -> bool:
        return self._in_flight is not None or self.debounce.isActive() or self._wanted

    def document_changed(self) -> None:
        self.revision += 1
        if self.info is None:
            return
        if self.while_typing:
            self.debounce.start()
            self._set_state("waiting")
        else:
            self._set_state("off")

    def check_now(self) -> None:
        """Check the current text as soon as the worker is free."""
        self.debounce.stop()
        if self.info is None:
            return
        self._wanted = True
        if self._in_flight is None:
            self._send()

    def _send(self) -> None:
        self._in_flight = self.revision
        self._set_state("checking")
        self._check.emit(CheckRequest(self.revision, self.text_source(), self.min_confidence))

    @Slot(object)
    def _on_checked(self, result: CheckResult) -> None:
        if result.revision == self._in_flight:
            self._in_flight = None
        if result.revision != self.revision:  # stale: the text changed while it was being checked
            self._resend()
            return
        self._wanted = False
        self._set_state("checked")
        self.result.emit(result)

    @Slot(int, str)
    def _on_check_failed(self, revision: int, message: str) -> None:
        if revision == self._in_flight:
            self._in_flight = None
        if revision != self.revision:
            self._resend()
            return
        self._wanted = False
        self._set_state("failed")
        self.check_error.emit(message)

    def _resend(self) -> None:
        if self._wanted and self._in_flight is None and not self.debounce.isActive():
            self._send()

    @Slot(object)
    def _on_loaded(self, info) -> None:
        self.info = info
        self._set_state("waiting")
        self.engine_ready.emit(info)
        self.check_now()

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self.info = None
        self._set_state("no_model")
        self.engine_failed.emit(message)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Stop the worker thread (after the check in progress, if any, finishes)."""
        self.debounce.stop()
        self.thread.quit()
        self.thread.wait(timeout_ms)
