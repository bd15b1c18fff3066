"""A speed probe for the editor: GUI-thread stalls while typing and the delay until underlines appear.

Owns one measurement, `run_app_benchmark(model_dir, words)`: an offscreen window opens a document of about
`words` words of distinct Arabic sentences, waits for its first full check, then types a few words into a
sentence in the middle, one key event at a time through Qt, while a fast QTimer probe records every gap
between its ticks on the GUI thread. Reported: the longest gap (a stall of the GUI thread), the time from the
last keystroke until the check of the final text is shown as underlines, and the targets (no stall over
50 ms; underlines within 300 ms). Knows nothing of the CLI that reports it.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

STALL_TARGET_MS = 50.0
UNDERLINE_TARGET_MS = 300.0
_OPENERS = ("", "في الحقيقة ", "لذلك ", "ثم ", "وبعد ذلك ", "كما ", "ومع ذلك ", "أخيرا ", "أولا ", "عادة ")
_SUBJECTS = ("ذهب الطالب الى المدرسه", "قال المدير ان الاجتماع سيعقد", "كتب الشاعر قصيده جميله",
             "سافر المهندس الى القاهره", "قرأت الفتاه مقاله مفيده", "اشترى ابي سياره جديده",
             "تحدث المعلم عن اهميه القراءه", "شارك اللاعبون في المباراه", "زار الوفد المستشفي الجديد",
             "عاد المسافرون الى بلادهم", "اعلنت الوزاره عن خطه جديده", "رايت مصطفي يمشي علي الشاطئ")
_ENDINGS = ("في الصباح", "يوم الاحد", "بعد الظهر", "في المساء", "الاسبوع الماضي", "منذ سنوات",
            "مع اصدقائه", "بسرعه كبيره", "في الشتاء", "قبل الامتحان", "في العطله", "بلا تردد")
TYPED = " ولكن الطالب ذهب الى المكتبه"


def bench_document(words: int) -> str:
    """About `words` words of distinct Arabic sentences (with typical spelling errors), 6 per paragraph."""
    sentences, count, index = [], 0, 0
    while count < words:
        sentence = (f"{_OPENERS[index % len(_OPENERS)]}{_SUBJECTS[(index // 10) % len(_SUBJECTS)]} "
                    f"{_ENDINGS[(index * 7 + index // 120) % len(_ENDINGS)]}.")
        sentences.append(sentence)
        count += len(sentence.split())
        index += 1
    paragraphs = [" ".join(sentences[k:k + 6]) for k in range(0, len(sentences), 6)]
    return "\n".join(paragraphs) + "\n"


def type_text(widget, text: str) -> None:
    """Send text as key press/release events, one character at a time, through the widget's event path
    (QTest's key helpers accept only Latin-1 keys)."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for char in text:
        key = Qt.Key.Key_Space if char == " " else Qt.Key.Key_unknown
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, char))


def _run_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    poll = QTimer(interval=2)
    poll.timeout.connect(lambda: predicate() and loop.quit())
    deadline = QTimer(singleShot=True, interval=int(timeout_s * 1000))
    deadline.timeout.connect(loop.quit)
    poll.start()
    deadline.start()
    if not predicate():
        loop.exec()
    poll.stop()
    deadline.stop()
    return predicate()


class _Probe:
    """Ticks every interval_ms on the GUI thread and remembers the longest gap between ticks."""

    def __init__(self, interval_ms: int):
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer(interval=interval_ms, timerType=Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.last = 0.0

    def start(self) -> None:
        self.last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self.last)
        self.last = now

    def stop(self) -> None:
        self.timer.stop()


def run_app_benchmark(model_dir: str | Path, words: int = 2000, *, keystroke_ms: int = 60, probe_ms: int = 5,
                      timeout_s: float = 300.0) -> dict:
    """Type into a `words`-word document in an offscreen editor; returns the measurements as a dict."""
    if not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from nahawi_app.settings import AppSettings, SettingsStore
    from nahawi_app.window import MainWindow

    app = QApplication.instance() or QApplication(["nahawi-bench"])
    with tempfile.TemporaryDirectory(prefix="nahawi-app-bench-") as scratch:
        settings = AppSettings(model_dir=str(Path(model_dir).absolute()))
        window = MainWindow(SettingsStore(Path(scratch) / "settings.ini"), settings=settings, data_dir=scratch,
                            autosave_ms=10**9, offer_recovery=False)
        window.show()
        try:
            return _measure(app, window, bench_document(words), keystroke_ms, probe_ms, timeout_s)
        finally:
            window.editor.document().setModified(False)
            window.close()


def _measure(app, window, document: str, keystroke_ms: int, probe_ms: int, timeout_s: float) -> dict:
    from PySide6.QtCore import QTimer

    controller = window.controller
    window.editor.load_text(document)
    started = time.perf_counter()
    settled = _run_until(lambda: controller.state in ("checked", "no_model", "failed") and not controller.busy,
                         timeout_s)
    if controller.state == "no_model" or not settled:
        return {"ok": False, "error": "the model did not load or the first check did not finish",
                "state": controller.state}
    initial_s = time.perf_counter() - started
    # Type at the end of the middle sentence of the middle paragraph (before its full stop).
    middle = document.index(".", len(document) // 2)
    cursor = window.editor.textCursor()
    cursor.setPosition(middle)
    window.editor.setTextCursor(cursor)
    window.editor.setFocus()
    applied: list[tuple[float, int]] = []
    window.checked.connect(lambda result: applied.append((time.perf_counter(), result.revision)))
    probe, keys = _Probe(probe_ms), list(TYPED)
    last_key = [0.0]

    def type_next() -> None:
        if keys:
            type_text(window.editor, keys.pop(0))
            last_key[0] = time.perf_counter()
        else:
            typer.stop()

    typer = QTimer(interval=keystroke_ms)
    typer.timeout.connect(type_next)
    probe.start()
    typer.start()
    done = _run_until(lambda: not keys and any(rev == controller.revision for _, rev in applied), timeout_s)
    probe.stop()
    final = [t for t, rev in applied if rev == controller.revision]
    underline_ms = 1000 * (final[0] - last_key[0]) if done and final else None
    sentence_end = middle + len(TYPED)
    in_sentence = [i for i in window.layer.issues if middle - 80 <= i.start <= sentence_end]
    max_gap_ms = 1000 * max(probe.gaps, default=0.0)
    info = window.info
    return {
        "ok": bool(done) and TYPED in window.editor.plain_text(),
        "words": len(document.split()),
        "model": info.model_name if info else None,
        "device": info.device if info else None,
        "initial_check_s": round(initial_s, 3),
        "typed_chars": len(TYPED),
        "keystroke_ms": keystroke_ms,
        "max_gap_ms": round(max_gap_ms, 2),  # longest time the GUI thread did not run the probe
        "p99_gap_ms": round(1000 * sorted(probe.gaps)[int(0.99 * (len(probe.gaps) - 1))], 2) if probe.gaps else None,
        "probe_ms": probe_ms,
        "underline_ms": round(underline_ms, 1) if underline_ms is not None else None,
        "debounce_ms": controller.debounce.interval(),
        "issues_near_edit": len(in_sentence),
        "issues": len(window.layer.issues),
        "stall_ok": max_gap_ms <= STALL_TARGET_MS,
        "underline_ok": underline_ms is not None and underline_ms <= UNDERLINE_TARGET_MS,
    }
