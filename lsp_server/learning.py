"""What the server learns from its writer (issue 17): their decisions, kept in the personal profile, and
what `nahawi adapt` learned from them, applied to the engine (`nahawi.profile`, docs/profile.md).

Owns
- the decisions (unless the writer turned recording off: the profile's settings.json, read at each one):
  a quick fix applied is "accepted" (the fix's code action also carries the command
  `nahawi.accepted`, which editors execute once the edit is applied; it is kept only when the document
  now has the fix), "ignore here" and "disable this kind" are "ignored". Each is recorded with the sentence
  the engine read as its context and code-point offsets into it, checked against the profile's decision
  format, and appended to the profile's decisions.jsonl (0600 in a 0700 folder). Fixes of many findings
  at once are not recorded: the writer did not judge each one;
- the profile's learned files (overlay.tsv, learned.json): their stamps are compared before each check and
  every POLL_S while a document is open, and a change is applied to the engine (`Corrector.adapt_to`, on
  the engine thread) and every document read again. The dictionary is not part of this: the server
  filters with its own (`dictionary`);
- `nahawi.adapt`: the learning of `nahawi adapt` (`nahawi.profile.adapt`) on the decisions log and the
  documents given, on a thread of its own with its own view of the engine (`learner_of`: checks go on
  meanwhile, on the engine thread), with cancellable progress (the client's Cancel, or
  `nahawi.adaptCancel`: nothing is written) and a message in the server's language.
Knows nothing of scheduling (`server`) or of how findings are shown.
"""
from __future__ import annotations

import asyncio
import copy
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path

from lsp_server.diagnostics import Finding
from lsp_server.documents import MARKDOWN_LANGUAGES
from lsp_server.markdown import prose
from nahawi.errors import NahawiError
from nahawi.profile import Profile, ProfileError, default_profile_dir
from nahawi.profile.decisions import decision_context, decision_from_dict, now
from nahawi.profile.store import ADAPTER, DECISIONS, LEARNED, OVERLAY
from nahawi.profile.writer import WriterModel

log = logging.getLogger("nahawi.lsp")

CMD_ACCEPTED = "nahawi.accepted"
CMD_ADAPT = "nahawi.adapt"
CMD_ADAPT_CANCEL = "nahawi.adaptCancel"
LEARNER_CACHE = 4096  # sentences nahawi.adapt's own corrector keeps (`learner_of`)
POLL_S = 2.0  # how often the profile's learned files are looked at while documents are open
SUGGESTION_KEYS = ("text", "start", "end", "replacement", "kind", "rule_id", "confidence")


def suggestion(finding: Finding) -> dict:
    """A finding as the profile records it: its sentence (what the engine read), the span in code points of
    that sentence, the replacement, the kind and the stage; `decision` and `time` are added when decided."""
    sentence, start, end, replacement = finding.key
    text, start, end = decision_context(sentence, start, end)
    record = {"text": text, "start": start, "end": end, "replacement": replacement, "kind": finding.rel.kind,
              "rule_id": finding.rel.rule_id}
    if finding.rel.confidence is not None:
        record["confidence"] = round(float(finding.rel.confidence), 4)
    return record


def decision_record(record, decision: str, where: str) -> dict:
    """record (from `suggestion`, or echoed by the client) with its decision and time, checked against
    the decision format; JsonRpcInvalidParams naming what is wrong."""
    if not isinstance(record, dict) or set(record) - set(SUGGESTION_KEYS):
        raise JsonRpcInvalidParams(f"{where}: expected an object with {', '.join(SUGGESTION_KEYS)}")
    full = {**record, "decision": decision, "time": now()}
    try:
        decision_from_dict(full, where)
    except ProfileError as error:
        raise JsonRpcInvalidParams(str(error)) from None
    return full


def has_fix(text: str, record: dict) -> bool:
    """Whether text (a document's prose) now holds record's sentence with its fix applied."""
    sentence, start, end = record["text"], record["start"], record["end"]
    return sentence[:start] + record["replacement"] + sentence[end:] in text


class Learning:
    """The server's side of the profile: recording decisions, applying what was learned."""

    def __init__(self, path: Path | None = None):
        self.path = path if path is not None else default_profile_dir()
        self.applied: tuple | None = None  # (the corrector, the learned files' stamp) last applied
        self.adapting = False  # a nahawi.adapt is running
        self.stop: threading.Event | None = None  # set to cancel the running nahawi.adapt
        self._lock = asyncio.Lock()

    @property
    def profile(self) -> Profile:
        """The profile folder; ProfileError when its path is not a folder."""
        return Profile(self.path)

    def record(self, records: Sequence[dict]) -> tuple[int, str | None]:
        """Append decisions to the profile's log, unless the writer turned recording off in the profile
        (its settings.json, read at each decision); (how many were written, a problem to show or None)."""
        try:
            written = self.profile.append_decisions(records)
        except ProfileError as error:
            log.warning("decisions not recorded: %s", error)
            return 0, str(error)
        if not written and records:
            log.info("recording decisions is off in the profile: %d not recorded", len(records))
        for record in records[:written]:  # the kind and the decision only: the log is not private
            log.info("recorded an %s %s suggestion in the profile", record["decision"], record["kind"])
        return written, None

    def stamp(self) -> tuple:
        """What identifies the learned files' current contents (a write replaces a file: a new inode)."""
        stamps = []
        for name in (OVERLAY, LEARNED, ADAPTER):
            try:
                stat = (self.path / name).stat()
                stamps.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
            except OSError:
                stamps.append(None)
        return tuple(stamps)

    def writer(self) -> WriterModel | None:
        """The profile's adaptation, without its dictionary (the server's own filters with it); None when
        it has learned nothing. ProfileError for a file that cannot be used."""
        writer = WriterModel.from_profile(self.profile, with_dictionary=False)
        return None if writer.empty else writer

    def adapt_engine(self, corrector) -> str | None:
        """On the engine thread: correct for the profile as it is on disk; a problem to show, or None (a
        profile that cannot be used leaves the engine unadapted)."""
        try:
            writer = self.writer()
        except ProfileError as error:
            corrector.adapt_to(None)
            return str(error)
        corrector.adapt_to(writer)
        return None

    async def refresh(self, host, corrector) -> tuple[bool, str | None]:
        """Apply the profile to corrector when its learned files changed since (or it is a new engine);
        (whether anything was applied, a problem to show)."""
        async with self._lock:
            stamp = self.stamp()
            if self.applied is not None and self.applied[0] is corrector and self.applied[1] == stamp:
                return False, None
            first = self.applied is None or self.applied[0] is not corrector
            problem = await host.run(self.adapt_engine, corrector)
            self.applied = (corrector, stamp)
            return not first, problem

    def has_decisions(self) -> bool:
        return (self.path / DECISIONS).is_file()


async def refresh_profile(ls, current=None) -> None:
    """Apply the profile's learned files to the loaded engine when they changed on disk, and read every
    document again (but `current`, about to be checked)."""
    corrector = ls.host.corrector
    if corrector is None or ls.learning.adapting:
        return
    changed, problem = await ls.learning.refresh(ls.host, corrector)
    if problem is not None:
        ls.show(types.MessageType.Warning, f"نحوي: تعذّرت قراءة ما تعلّمه من ملفك الشخصي: {problem}\n"
                f"Nahawi: cannot read what the profile learned: {problem}", once=f"profile:{problem}")
    if changed:
        log.info("the profile's learned files changed: reading every document again")
        ls.profile_changed(current)


async def poll_profile(ls) -> None:
    """Look at the profile's learned files every POLL_S while documents are open (`nahawi adapt` run in a
    terminal is picked up without an edit)."""
    while True:
        await asyncio.sleep(POLL_S)
        if ls.documents:
            try:
                await refresh_profile(ls)
            except Exception:  # the poll must outlive one failure
                log.exception("looking at the profile failed")


def document_texts(ls, arguments: Sequence) -> list[str]:
    """The writer's documents named by nahawi.adapt's arguments: an open document's URI (its prose), else a
    file URI or a path (`.txt`/`.md`, read as `nahawi adapt --documents` reads it)."""
    from nahawi.profile.adapt import read_documents

    texts = []
    for argument in arguments:
        if not isinstance(argument, str) or not argument:
            raise JsonRpcInvalidParams("nahawi.adapt takes documents: URIs of open documents or file paths")
        state = ls.documents.get(argument)
        if state is not None:
            texts.append(prose(state.text, markdown=state.language_id in MARKDOWN_LANGUAGES).text)
            continue
        path = to_fs_path(argument) if argument.startswith("file:") else argument
        try:
            texts += read_documents([Path(path).expanduser()])
        except NahawiError as error:
            raise JsonRpcInvalidParams(f"nahawi.adapt: {error}") from None
    return texts


def adapt_message(report: dict, language: str) -> str:
    """What nahawi.adapt learned, in the server's message language."""
    summary = report.get("summary", {})
    decided, accepted, ignored = summary.get("decisions", 0), summary.get("accepted", 0), summary.get("ignored", 0)
    words, kinds = report.get("new_words", 0), len(report.get("thresholds", {}))
    contexts, pairs = report.get("suppressed_contexts", 0), report.get("suppressed_pairs", 0)
    if language == "en":
        return (f"Nahawi learned from {decided} decisions ({accepted} accepted, {ignored} ignored) and "
                f"{report.get('documents', 0)} documents: {words} new words, {kinds} kinds with their own "
                f"threshold, {contexts} suggestions no longer made in their context, {pairs} no longer made "
                f"anywhere.")
    return (f"تعلّم نحوي من {decided} قرارًا ({accepted} مقبولًا و{ignored} متجاهَلًا) ومن "
            f"{report.get('documents', 0)} مستندًا: {words} كلمة جديدة، و{kinds} نوعًا بعتبة خاصة بك، "
            f"و{contexts} اقتراحًا لن يتكرر في سياقه، و{pairs} لن يتكرر في أي مكان.")


class AdaptCancelled(Exception):
    """Raised from adapt's progress callback when the writer cancels: nothing is written."""


def learner_of(corrector):
    """A corrector for nahawi.adapt's own thread: the engine's model sessions and tables (read-only, safe
    from two threads), its own stages and cache, so learning neither changes nor waits for the engine that
    checks documents."""
    from nahawi.engine.cache import LRUCache

    learner = copy.copy(corrector)
    learner.cache = LRUCache(LEARNER_CACHE)  # its results are for the overlay alone: never the engine's cache
    return learner


def adapt_job(learning: Learning, learner, texts: list[str], progress) -> dict:
    """On a thread of its own: learn (`nahawi.profile.adapt.adapt`) with learner (`learner_of`); progress may
    raise AdaptCancelled, before anything is written."""
    from nahawi.profile.adapt import adapt

    return adapt(learning.profile, learner, texts, progress=progress).to_dict()


async def run_adapt(ls, arguments: Sequence) -> dict:
    """nahawi.adapt: learn from the profile's decisions (and the documents given) on a thread of its own
    (checks go on, on the engine thread), then read every document again with what was learned. Cancelled
    from the client's progress (window/workDoneProgress/cancel) or by nahawi.adaptCancel."""
    learning: Learning = ls.learning
    if learning.adapting:
        raise JsonRpcInvalidParams("nahawi.adapt is already running")
    learning.adapting, learning.stop = True, threading.Event()
    try:
        return await _adapt(ls, learning, document_texts(ls, arguments))
    finally:
        learning.adapting, learning.stop = False, None


def cancel_adapt(learning: Learning) -> dict:
    """nahawi.adaptCancel: stop a running nahawi.adapt at its next step (nothing of it is written)."""
    if learning.stop is None:
        return {"cancelled": False}
    learning.stop.set()
    log.info("nahawi.adapt cancelled by the client")
    return {"cancelled": True}


async def _adapt(ls, learning: Learning, texts: list[str]) -> dict:
    language = ls.settings.message_language
    if not texts and not learning.has_decisions():
        text = {"en": "Nahawi has nothing to learn from yet: no decisions recorded and no documents given.",
                "ar": "لا شيء يتعلّم منه نحوي بعد: لم تُسجَّل قرارات ولم تُعطَ مستندات."}
        ls.show(types.MessageType.Info, text.get(language, text["ar"]))
        return {"learned": False}
    corrector = await ls.engine()
    if corrector is None:
        raise JsonRpcInvalidParams("nahawi.adapt: the model is not loaded")
    title = {"en": "learning from your decisions", "ar": "التعلّم من قراراتك"}
    token = await ls.progress_begin(title.get(language, title["ar"]), percentage=0, cancellable=True)
    stop = learning.stop
    if token is not None:  # the client's Cancel on the progress: pygls cancels the token's future
        ls.work_done_progress.tokens[token].add_done_callback(lambda _: stop.set())
    loop = asyncio.get_running_loop()

    def progress(done: int, total: int) -> None:
        if stop.is_set():
            raise AdaptCancelled
        loop.call_soon_threadsafe(ls.progress_report, token, done, total)

    report, problem, cancelled = {}, None, False
    try:
        async with learning._lock:
            try:
                report = await asyncio.to_thread(adapt_job, learning, learner_of(corrector), texts, progress)
            except AdaptCancelled:
                cancelled = True
            finally:  # what is on disk, also after learning failed half-way
                applied = await ls.host.run(learning.adapt_engine, corrector)
                learning.applied = (corrector, learning.stamp())
            problem = applied
    except NahawiError as error:
        problem = str(error)
    finally:
        ls.progress_end(token)
    return _adapted(ls, report, problem, cancelled, language)


def _adapted(ls, report: dict, problem: str | None, cancelled: bool, language: str) -> dict:
    """nahawi.adapt's answer and message once learning ended (learned, failed or cancelled)."""
    if cancelled:
        text = {"en": "Learning cancelled; nothing in your profile changed.",
                "ar": "أُلغي التعلّم، ولم يتغيّر شيء في ملفك الشخصي."}
        ls.show(types.MessageType.Info, text.get(language, text["ar"]))
        return {"learned": False, "cancelled": True}
    ls.profile_changed()  # also after a failure: learning may have written part of the profile
    if problem is not None:
        ls.show(types.MessageType.Error, f"نحوي: تعذّر التعلّم: {problem}\nNahawi: could not learn: {problem}")
        return {"learned": False, "error": problem}
    ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info,
                                                   message=adapt_message(report, language)))
    return {"learned": True, **report}
