"""Checking off the GUI thread: a worker that owns the engine, and the controller that feeds it.

Owns when and what is checked. `CheckWorker` lives in its own QThread, loads the engine there (loading can
take seconds) and corrects the document on request; the engine's segment cache means only sentences
that changed since the last check reach the model. A long document is checked in pieces of whole lines
(`plan_pieces`), the lines on screen first: their underlines arrive as a partial result, then progress, then
the whole result — the same edits as one call on the whole text, since the engine cuts sentences at line
breaks. Between pieces the worker gives up a check whose revision is no longer wanted, so neither typing
nor closing waits for a long check; pieces whose text did not change since an earlier revision are not
corrected again, so the rest of a long document gets checked while the writer types. `CheckController` lives on the GUI thread: every document
change bumps a revision and (when checking while typing) restarts a debounce timer; at most one request is
in flight, tagged with its revision; a result whose revision is no longer current is dropped and the latest
text is sent instead. The two talk only through queued signals; the worker never touches a widget.
Knows nothing of underlines, files or settings dialogs.
"""
from __future__ import annotations

import re
import sys
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain, pairwise

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from nahawi.contract import Correction, Edit
from nahawi.errors import NahawiError
from nahawi_app.collection import CollectionPolicy, freeze_alive, quiet_build, thaw
from nahawi_app.learning import ProfileFollower

EngineFactory = Callable[[], object]  # returns a loaded nahawi.engine.Corrector
PIECE_CHARS = 20_000  # a longer document is checked in pieces of whole lines of about this many characters
PIECES_KEPT = 600  # pieces whose edits are remembered across revisions (about 12 MB of text at most)
# Longest the GUI thread waits for the GIL while the check's thread runs Python (the interpreter's default is
# 5 ms). Some Qt calls let go of the GIL, and getting it back cost the GUI thread up to the interval each
# time: on a 5 MB file the longest gap was 52-92 ms at 5 ms against 41-53 ms at 1 ms (six runs each).
SWITCH_INTERVAL_S = 0.001
_draining: list[tuple[QThread, QObject]] = []  # worker threads of closed windows, finishing their last piece


@dataclass(frozen=True)
class CheckRequest:
    revision: int
    text: str
    min_confidence: float | None
    visible: tuple[int, int] = (0, 0)  # the lines on screen, checked first (see `plan_pieces`)
    pieces: tuple[tuple[int, int], ...] = ()  # code-point spans checked in this order (default: planned)
    punctuation: bool = True  # run the punctuation model (False: the writer turned that kind off)


@dataclass(frozen=True)
class PartialResult:
    revision: int
    text: str
    edits: tuple  # edits found so far (code-point offsets into text), only inside spans
    spans: tuple[tuple[int, int], ...]  # the code-point spans of text checked so far


def plan_pieces(text: str, visible: tuple[int, int], piece_chars: int | None = None) -> tuple[tuple[int, int], ...]:
    """Spans of whole lines that cover text once: first the lines visible[0]..visible[1] (0-based line
    numbers), then the pieces after them, then those before. The pieces are cut where `_cuts` says, whatever
    is on screen, so a piece away from an edit and from the screen has the same text at the next revision
    (and its edits are remembered). A text of at most piece_chars (default PIECE_CHARS) is one span."""
    piece_chars = piece_chars or PIECE_CHARS
    if len(text) <= piece_chars:
        return ((0, len(text)),)
    starts = [0] + [match.end() for match in re.finditer("\n", text)]  # where each line starts
    first = min(max(visible[0], 0), len(starts) - 1)
    last = min(max(visible[1], first), len(starts) - 1)
    top, bottom = starts[first], starts[last + 1] if last + 1 < len(starts) else len(text)
    cuts = _cuts(text, starts, piece_chars)
    after = [(max(low, bottom), high) for low, high in pairwise(cuts) if high > bottom]
    before = [(low, min(high, top)) for low, high in pairwise(cuts) if low < top]
    return ((top, bottom), *after, *before)


def _cuts(text: str, starts: list[int], piece_chars: int) -> list[int]:
    """Where text is cut into pieces (0 and its end included): at the start of a line once a piece holds half
    piece_chars, after a line its checksum picks (one in four), or at twice piece_chars. A cut depends on the
    lines around it, not on its distance from the top, so an edit moves at most the cuts next to it."""
    cuts, begin, half = [0], 0, piece_chars // 2
    for k in range(1, len(starts)):
        size = starts[k] - begin
        if size >= half and (size >= 2 * piece_chars or zlib.crc32(
                text[starts[k - 1]:starts[k]].encode("utf-8", "surrogatepass")) % 4 == 0):
            cuts.append(starts[k])
            begin = starts[k]
    if cuts[-1] != len(text):
        cuts.append(len(text))
    return cuts


def shifted(offset: int, edits: tuple) -> tuple:
    """edits of a piece that starts at offset, as offsets into the whole text. Made field by field: twice as
    fast as `dataclasses.replace`, and a long document's hundred thousand edits are placed at every revision
    (a test checks that every field of `Edit` is carried)."""
    return tuple(Edit(e.start + offset, e.end + offset, e.replacement, e.kind, e.rule_id, e.original, e.confidence)
                 for e in edits)


@dataclass(frozen=True)
class CheckedPiece:
    """What a long document's check remembers of one piece (see `CheckWorker.pieces`)."""

    edits: tuple  # in order, code-point offsets into the piece
    corrected: str  # the piece with its edits applied
    words: int  # whitespace-separated words in the piece (pieces are whole lines, so counts add up)


def count_words(text: str, block: int = 65_536) -> int:
    """len(text.split()), a block at a time (cut at whitespace): one split of 5 MB held the GIL, and so the
    GUI thread, for tens of milliseconds."""
    count, start = 0, 0
    while start < len(text):
        end = min(len(text), start + block)
        while end < len(text) and not text[end].isspace():
            end += 1
        count += len(text[start:end].split())
        start = end
    return count


@dataclass(frozen=True)
class CheckResult:
    revision: int
    text: str  # the text that was checked; edits are code-point offsets into it
    correction: Correction
    seconds: float  # time the engine took
    decoded: int  # segments that missed the cache and went through the model
    words: int = 0  # words (whitespace-separated) in text, counted off the GUI thread


def engine_factory(model_dir: str = "", device: str = "auto", strict: bool = False,
                   latin_marks: bool = False, learner: bool = False) -> EngineFactory:
    """A loader for the engine on model_dir ("" = the bundled model), with the model's strict or learner policy
    and the writer's Latin marks when asked, run on the worker thread."""
    def load():
        from nahawi.engine import Corrector, CorrectorOptions

        options = CorrectorOptions(strict=strict, learner=learner and not strict, latin_marks=latin_marks)
        return Corrector.from_dir(model_dir or None, device=device, options=options)
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
    partial = Signal(object)  # PartialResult: the first piece (the lines on screen) of a long document
    progress = Signal(int, float)  # revision, share of the text checked
    abandoned = Signal(int)  # revision given up because a newer one is wanted
    profile_problem = Signal(str)  # the profile's learned files cannot be used (the engine is left unadapted)
    lexicon_changed = Signal(object)  # the engine's Lexicon now (or None): read-only, for other spellings

    def __init__(self):
        super().__init__()
        self.engine = None
        self.follower = ProfileFollower()  # the profile the engine follows (its path set by the GUI before use)
        # The revision the GUI wants checked, written by the GUI thread (one attribute store: atomic under the
        # GIL) and read between pieces; -1 stops everything.
        self.wanted_revision = 0
        # (min_confidence, punctuation, piece text) -> CheckedPiece, most recent last: a piece that
        # did not change since an earlier revision is not corrected again, so a long check moves on while the
        # writer types (the engine's segment cache is far smaller than a long document).
        self.pieces: OrderedDict[tuple, CheckedPiece] = OrderedDict()
        self.collection = CollectionPolicy()  # a long document's edits kept out of the collector's full passes

    @Slot(object)
    def load(self, factory: EngineFactory) -> None:
        self.engine = None
        self.pieces.clear()
        try:
            self.engine = factory()
        except Exception as error:  # noqa: BLE001 - any loading failure is reported in the UI; the editor keeps working
            self.load_failed.emit(describe_error(error))
            return
        self._follow_profile(loaded=True)
        self.loaded.emit(self.engine.info)

    def _follow_profile(self, loaded: bool = False) -> None:
        """Correct for the profile as it is on disk (checked before each check: `nahawi adapt` or the
        language server may have learned since)."""
        changed, problem = self.follower.follow(self.engine)
        if changed:
            self.pieces.clear()
        if changed or loaded:
            self.lexicon_changed.emit(getattr(getattr(self.engine, "stages", None), "lexicon", None))
        if problem is not None:
            self.profile_problem.emit(problem)

    @Slot(object)
    def check(self, request: CheckRequest) -> None:
        if self.engine is None:
            self.check_failed.emit(request.revision, "no model loaded")
            return
        self._follow_profile()
        started, misses = time.perf_counter(), self.engine.cache_stats().misses
        try:
            checked = self._correct(request)
        except Exception as error:  # noqa: BLE001 - reported on the GUI thread; the next edit triggers a new check
            self.check_failed.emit(request.revision, describe_error(error))
            return
        if checked is None:
            self.abandoned.emit(request.revision)
            return
        decoded = self.engine.cache_stats().misses - misses
        self.checked.emit(CheckResult(request.revision, request.text, checked[0], time.perf_counter() - started,
                                      decoded, checked[1]))

    def _correct(self, request: CheckRequest) -> tuple[Correction, int] | None:
        """The correction of request.text, piece by piece, and its word count; None when its revision stopped
        being wanted."""
        text = request.text
        pieces = request.pieces or plan_pieces(text, request.visible)  # here: planning a long text takes a while
        if len(pieces) == 1 and pieces[0] == (0, len(text)):
            return (self.engine.correct_batch([text], min_confidence=request.min_confidence,
                                              punctuation=request.punctuation)[0], count_words(text))
        # Each piece's edits stay relative to it until the check is complete: shifting them piece by piece made
        # a long document's hundred thousand edits anew at every revision, even one given up a moment later.
        checked, done, percent = [], 0, -1  # (start, CheckedPiece)
        for start, end in pieces:
            if self.wanted_revision != request.revision:
                return None
            checked.append((start, self._checked_piece(text[start:end], request.min_confidence,
                                                       request.punctuation)))
            done += end - start
            if len(checked) == 1:
                self.partial.emit(PartialResult(request.revision, text, shifted(start, checked[0][1].edits),
                                                ((start, end),)))
            if int(100 * done / len(text)) > percent or done == len(text):  # pieces from memory come fast
                percent = int(100 * done / len(text))
                self.progress.emit(request.revision, done / len(text))
        checked.sort(key=lambda pair: pair[0])  # document order: the pieces cover the text once
        with quiet_build(self.collection):  # the whole text's edits, made anew: see nahawi_app.collection
            edits = tuple(chain.from_iterable(shifted(start, piece.edits) for start, piece in checked))
        corrected = "".join(piece.corrected for _, piece in checked)
        return Correction(text, corrected, edits), sum(piece.words for _, piece in checked)

    def _checked_piece(self, piece: str, min_confidence: float | None, punctuation: bool) -> CheckedPiece:
        key = (min_confidence, punctuation, piece)
        found = self.pieces.get(key)
        if found is None:
            correction = self.engine.correct_batch([piece], min_confidence=min_confidence, punctuation=punctuation)[0]
            found = self.pieces[key] = CheckedPiece(tuple(sorted(correction.edits, key=lambda e: (e.start, e.end))),
                                                    correction.corrected, count_words(piece))
            while len(self.pieces) > PIECES_KEPT:
                self.pieces.popitem(last=False)
            freeze_alive()  # kept for many revisions: out of the collector's full passes
        else:
            self.pieces.move_to_end(key)
        return found


class CheckController(QObject):
    """GUI-side scheduling of checks; emits `result` only for the document's current revision."""

    result = Signal(object)  # CheckResult for the current revision
    state_changed = Signal(str)  # loading | no_model | waiting | checking | checked | failed | off
    engine_ready = Signal(object)  # EngineInfo
    engine_failed = Signal(str)
    check_error = Signal(str)
    profile_problem = Signal(str)  # the profile's learned files cannot be used
    _load = Signal(object)
    _check = Signal(object)

    partial = Signal(object)  # PartialResult for the current revision (the lines on screen of a long text)
    progress = Signal(float)  # share of the current revision's text checked so far

    def __init__(self, text_source: Callable[[], str], parent: QObject | None = None,
                 visible_lines: Callable[[], tuple[int, int]] = lambda: (0, 0)):
        super().__init__(parent)
        self.text_source, self.visible_lines = text_source, visible_lines
        self.revision = 0
        self.while_typing, self.min_confidence, self.punctuation = True, None, True
        self.info, self.state = None, "loading"
        # The loaded engine's lexicon (nahawi.lexicon.Lexicon, None without one), as the worker last reported
        # it. Its tables are never written after loading (a profile change makes a new one) and its lookups
        # only fill memos of pure answers (single dict operations, atomic under the GIL), so reading it here
        # for one word's other spellings is safe beside a check on the worker thread.
        self.lexicon = None
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
        self.worker.abandoned.connect(self._on_abandoned)
        self.worker.partial.connect(self._on_partial)
        self.worker.progress.connect(self._on_progress)
        self.worker.profile_problem.connect(self.profile_problem)
        self.worker.lexicon_changed.connect(self._on_lexicon_changed)
        if sys.getswitchinterval() > SWITCH_INTERVAL_S:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.thread.start()

    def configure(self, while_typing: bool, delay_ms: int, min_confidence: float, punctuation: bool = True) -> None:
        """punctuation: whether the punctuation model runs (its marks are shown); a long document's check
        spends a stage of its own on it."""
        self.while_typing, self.min_confidence, self.punctuation = while_typing, (min_confidence or None), punctuation
        self.debounce.setInterval(delay_ms)

    def follow_profile(self, path) -> None:
        """Have the engine follow the profile folder at path (set before the engine loads)."""
        self.worker.follower.path = path

    def load_engine(self, factory: EngineFactory) -> None:
        self.info, self.lexicon = None, None
        self._set_state("loading")
        self._load.emit(factory)

    @property
    def busy(self) -> bool:
        return self._in_flight is not None or self.debounce.isActive() or self._wanted

    def document_changed(self) -> None:
        self.revision += 1
        self.worker.wanted_revision = self.revision  # a long check of an older text stops at its next piece
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
        text = self.text_source()
        self.worker.wanted_revision = self.revision
        self._check.emit(CheckRequest(self.revision, text, self.min_confidence,
                                      self.visible_lines(), punctuation=self.punctuation))

    @Slot(int)
    def _on_abandoned(self, revision: int) -> None:
        if revision == self._in_flight:
            self._in_flight = None
        self._resend()

    @Slot(object)
    def _on_partial(self, result: PartialResult) -> None:
        if result.revision == self.revision:
            self.partial.emit(result)

    @Slot(int, float)
    def _on_progress(self, revision: int, share: float) -> None:
        if revision == self.revision:
            self.progress.emit(share)

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
    def _on_lexicon_changed(self, lexicon) -> None:
        self.lexicon = lexicon

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

    def shutdown(self) -> None:
        """Stop the worker thread without waiting for a check: one in progress stops at its next piece, and
        the thread is kept (with its worker) until then, so that closing never waits on a check."""
        self.debounce.stop()
        self.worker.wanted_revision = -1
        self.thread.quit()
        thaw()  # this window's long document, if any, back in the collector's sight
        _draining[:] = [pair for pair in _draining if pair[0].isRunning()]
        if not self.thread.wait(0):
            _draining.append((self.thread, self.worker))


def wait_for_workers(timeout_ms: int = 60_000) -> None:
    """Before the process ends: let closed windows' workers finish the piece they are on (a QThread destroyed
    while running aborts the process). No window is waiting by then."""
    while _draining:
        thread, _ = _draining.pop()
        thread.wait(timeout_ms)
