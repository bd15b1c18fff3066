"""What the editor learns from its writer (issue 17), through the personal profile (`nahawi.profile`,
docs/profile.md) that it shares with the language server and the CLI.

Owns
- the decisions: a suggestion accepted from the card, its menu or Alt+Return is "accepted"; "ignore" and
  "ignore this word" are "ignored" (accepting all at once is not recorded: the writer did not judge each
  one). Each is recorded with its paragraph as the context, code-point offsets into it, checked against
  the profile's decision format, and appended to the profile's decisions.jsonl (0600 in a 0700 folder);
- `ProfileFollower`, on the worker thread: the profile's learned files (overlay.tsv, learned.json) applied
  to the engine (`Corrector.adapt_to`, without the dictionary: the window filters with it), again whenever
  their stamp changes on disk (`nahawi adapt`, the server's nahawi.adapt, this app's learning), but not
  while held (this app's learning is writing them: what it learned is taken up whole, once it is over);
- `LearnJob`: `nahawi.profile.adapt.adapt` on the log and the documents the writer chose, on a thread of
  its own with its own view of the engine (`learner_of`: the engine that checks is never changed by it, and
  checks go on meanwhile on the worker thread), with progress and cancel; one learning at a time.
Knows nothing of widgets.
"""
from __future__ import annotations

import copy
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QTextDocument

from nahawi.engine.cache import LRUCache
from nahawi.errors import NahawiError
from nahawi.profile import Profile, ProfileError
from nahawi.profile.decisions import decision_context, decision_from_dict, now
from nahawi.profile.store import ADAPTER, LEARNED, OVERLAY
from nahawi.profile.writer import WriterModel
from nahawi_app.issues import Issue, document_text
from nahawi_app.office import is_office_file, read_office_text

log = logging.getLogger("nahawi.app")

DOCUMENT_SUFFIXES = (".txt", ".md", ".docx", ".odt")
LEARNER_CACHE = 4096  # sentences the learning's own corrector keeps (`learner_of`)


def decision_record(document: QTextDocument, issue: Issue, decision: str) -> dict:
    """issue as the profile records it: its paragraph (as the document holds it now, before any fix; of a
    long one, the part around the span: `decision_context`), the span in code points of that, the replacement, kind, stage and confidence; checked against the
    decision format (ProfileError saying what is wrong)."""
    block = document.findBlock(issue.start)
    paragraph = document_text(document, block.position(), block.position() + block.length() - 1)
    units = paragraph.encode("utf-16-le", "surrogatepass")
    start = len(units[:2 * (issue.start - block.position())].decode("utf-16-le", "surrogatepass"))
    paragraph, start, end = decision_context(paragraph, start, start + len(issue.edit.original))
    edit = issue.edit
    record = {"text": paragraph, "start": start, "end": end, "replacement": edit.replacement, "kind": edit.kind,
              "decision": decision, "time": now()}
    if edit.rule_id:
        record["rule_id"] = edit.rule_id
    if edit.confidence is not None:
        record["confidence"] = round(float(edit.confidence), 4)
    decision_from_dict(record, "decision")
    return record


def record_decision(profile: Profile, document: QTextDocument, issue: Issue, decision: str) -> str | None:
    """Append the writer's decision on issue to the profile's log (nothing while the writer has turned
    recording off: the profile's settings); a problem to show, or None."""
    try:
        if not profile.records_decisions():
            return None
        written = profile.append_decisions([decision_record(document, issue, decision)])
    except ProfileError as error:
        log.warning("a decision was not recorded: %s", error)
        return str(error)
    if written:
        log.info("recorded an %s %s suggestion in the profile", decision, issue.edit.kind)  # never the words
    return None


def learned_stamp(path: Path, names: tuple[str, ...] = (OVERLAY, LEARNED, ADAPTER)) -> tuple:
    """What identifies the contents of the profile's files `names` now (a write replaces a file: a new inode)."""
    stamps = []
    for name in names:
        try:
            stat = (path / name).stat()
            stamps.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
        except OSError:
            stamps.append(None)
    return tuple(stamps)


class ProfileFollower:
    """Keeps an engine adapted to the profile on disk (used on the worker thread only)."""

    def __init__(self, path: Path | None = None):
        self.path = path
        self.applied: tuple | None = None  # (engine, stamp) last applied
        # Set by the GUI thread while this app learns (one attribute store: atomic under the GIL): learning
        # writes the overlay, the log and learned.json one after the other, and no check is to see half.
        self.held = False

    def follow(self, engine) -> tuple[bool, str | None]:
        """Adapt engine to the profile when its learned files changed since (or it is a new engine);
        (whether the engine changed, a problem to show). A profile that cannot be used leaves it unadapted."""
        if self.path is None or engine is None:
            return False, None
        stamp = learned_stamp(self.path)
        if self.applied is not None and self.applied[0] is engine and (self.held or self.applied[1] == stamp):
            return False, None
        self.applied = (engine, stamp)
        try:
            writer = WriterModel.from_profile(Profile(self.path), with_dictionary=False)
        except ProfileError as error:
            engine.adapt_to(None)
            return True, str(error)
        engine.adapt_to(None if writer.empty else writer)
        return True, None


def read_writer_documents(paths: list[str]) -> list[str]:
    """The chosen documents as text: .txt/.md as `nahawi adapt` reads them, .docx/.odt as the app opens them."""
    from nahawi.profile.adapt import read_documents

    texts = []
    for path in paths:
        if Path(path).suffix.lower() not in DOCUMENT_SUFFIXES:
            raise NahawiError(f"{path}: not a document Nahawi learns from (.txt, .md, .docx, .odt)")
        texts += [read_office_text(path)] if is_office_file(path) else read_documents([path])
    return texts


class LearningCancelled(Exception):
    """Raised from adapt's progress callback when the writer cancels: nothing is written."""


@dataclass(frozen=True)
class LearnRequest:
    paths: tuple[str, ...]  # the writer's documents


def learner_of(engine):
    """A corrector for the learning's own thread: the engine's model sessions and tables (read-only, safe from
    two threads), its own stages and cache, so learning neither changes nor waits for the engine that checks
    (as the language server's nahawi.adapt does)."""
    learner = copy.copy(engine)
    learner.cache = LRUCache(LEARNER_CACHE)  # its results are for the learning alone: never the engine's cache
    return learner


class LearnJob(QObject):
    """`nahawi adapt` on a thread of its own, one run at a time; `start` and `cancel` are called on the GUI
    thread, the signals come from the learning's thread (queued to the GUI thread's slots). The thread is not
    a daemon: a process ending while it learns waits for it to stop at its next step (a cancel comes first)."""

    progress = Signal(int, int)  # lines corrected, lines in all
    finished = Signal(object)  # the AdaptReport's dict
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, profile_path: Path):
        super().__init__()
        self.profile_path = profile_path
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, engine, request: LearnRequest) -> bool:
        """Learn from request with a `learner_of` engine; False (nothing started) while a learning runs."""
        if self.running:
            return False
        self._stop = threading.Event()  # a run's own: a late cancel of the last one cannot stop this one
        self._thread = threading.Thread(target=self._run, args=(engine, request, self._stop), name="nahawi-learn")
        self._thread.start()
        return True

    def cancel(self) -> None:
        """Stop the running learning at its next step (a few dozen lines at most): nothing of it is written."""
        self._stop.set()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the learning's thread to end; whether it has."""
        if self._thread is not None:
            self._thread.join(timeout_s)
        return not self.running

    def _run(self, engine, request: LearnRequest, stop: threading.Event) -> None:
        from nahawi.profile.adapt import adapt

        def progress(done: int, total: int) -> None:
            if stop.is_set():
                raise LearningCancelled
            self.progress.emit(done, total)

        try:
            texts = read_writer_documents(list(request.paths))
            progress(0, 1)
            report = adapt(Profile(self.profile_path), learner_of(engine), texts, progress=progress)
        except LearningCancelled:
            self.cancelled.emit()
            return
        except NahawiError as error:
            self.failed.emit(str(error))
            return
        except Exception as error:  # shown in the dialog; the editor and its checks go on
            log.error("learning failed (%s)", type(error).__name__)  # its message may quote the writer's text
            log.debug("learning failed", exc_info=True)
            self.failed.emit(f"{type(error).__name__}: {error}")
            return
        self.finished.emit(report.to_dict())
