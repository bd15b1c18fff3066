"""The Nahawi language server's state: LSP in, one engine behind a worker thread, diagnostics out.

Owns settings (initializationOptions, then `workspace/configuration` section `nahawi`, refreshed on
`workspace/didChangeConfiguration`), the checking of documents (a debounced check per document that a
newer edit cancels; results never published for an old version), progress on the first check of a large
document, publishing, and robustness (bad settings fall back with one message; a model that fails to load is
reported once and the server keeps answering; malformed requests get JSON-RPC errors). The handlers that
wire LSP methods to it are in `handlers`; the correcting itself is the engine's (`nahawi.engine`), reached
only through `EngineHost`; the core knows nothing of LSP.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import uuid
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import FeatureRequestError, JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from lsp_server.actions import ActionContext
from lsp_server.diagnostics import DiagnosticJson, Finding, LineIndex, to_diagnostic, visible
from lsp_server.dictionary import Dictionary, user_dictionary_path, workspace_dictionary_path
from lsp_server.documents import DocumentState
from lsp_server.engine_host import EngineHost, EngineKey
from lsp_server.fixall import FixedPoints, Rewrite, fixed_point
from lsp_server.learning import Learning, refresh_profile
from lsp_server.memory import FILE_NAME as MEMORY_FILE
from lsp_server.memory import Memory
from lsp_server.protocol import NahawiProtocol
from lsp_server.pull import refresh
from lsp_server.settings import (
    SECTION,
    Settings,
    merge_sections,
    parse_settings,
    settings_section,
    settings_to_dict,
)
from lsp_server.transport import serve_stdio, serve_tcp
from nahawi import __version__
from nahawi.alternatives import alternatives

log = logging.getLogger("nahawi.lsp")

PROGRESS_MIN_SEGMENTS = 8  # a first check with at least this many paragraphs to correct reports progress
CHUNK_SEGMENTS = 8  # paragraphs per engine call: progress steps, and where a stale check stops
SYNC_SEGMENTS = 16  # a code action checks at most this many new paragraphs before answering
CONFIGURATION_TIMEOUT_S = 10.0  # a client that never answers workspace/configuration keeps the defaults


def engine_key(settings: Settings) -> EngineKey:
    return EngineKey(settings.model_dir, settings.device, settings.strict, settings.latin_marks, settings.learner)


class NahawiServer(LanguageServer):
    def __init__(self):
        super().__init__("nahawi-lsp", __version__, protocol_cls=NahawiProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.initialization_options: Any = None
        self.settings = Settings()
        self.session_disabled: set[str] = set()  # kinds disabled from a code action, kept across reloads
        self.memory: Memory | None = None  # ignored findings and disabled kinds, saved beside the dictionary
        self._memories: dict[Path, Memory] = {}
        self.host = EngineHost()
        self.learning = Learning()  # the personal profile: decisions recorded, what was learned applied
        self.poll: asyncio.Task | None = None  # looks at the profile's learned files (`learning`)
        self.documents: dict[str, DocumentState] = {}
        self.dictionary = Dictionary(user_dictionary_path(), private=True)  # the root folder's
        self._dictionaries: dict[str | None, Dictionary] = {}  # by workspace folder path
        self.ready = asyncio.Event()  # set once the first settings are in: checks wait for it
        self.counters: Counter[str] = Counter()
        self._shown: set[str] = set()
        self._settings_problems: tuple[str, ...] = ()
        self._json: DiagnosticJson | None = None
        self._loading_shown = False  # a model load is being shown to the user
        self.pulling = False  # the client pulls diagnostics (textDocument/diagnostic): nothing is pushed

    # -- transport ------------------------------------------------------------------------------------

    def start_io(self, stdin=None, stdout=None) -> None:
        asyncio.run(serve_stdio(self.protocol.connection, self.protocol.end_of_input, stdin, stdout))

    def start_tcp(self, host: str, port: int, on_listening=None) -> None:
        asyncio.run(serve_tcp(host, port, self.protocol.connection, self.protocol.end_of_input, on_listening))

    # -- messages -------------------------------------------------------------------------------------

    def show(self, kind: types.MessageType, text: str, once: str | None = None) -> None:
        """window/showMessage, at most once per `once` key for the session."""
        if once is not None:
            if once in self._shown:
                return
            self._shown.add(once)
        log.log(logging.ERROR if kind == types.MessageType.Error else logging.WARNING, "%s", text)
        self.window_show_message(types.ShowMessageParams(type=kind, message=text))

    def report_server_error(self, error: Exception, source) -> None:
        if isinstance(source, type) and issubclass(source, (JsonRpcException, FeatureRequestError)):
            log.info("%s from the client", source.__name__)  # its text may quote the document
            log.debug("%s: %s", source.__name__, error)
            return  # a client's malformed message, or a request that already got its error response
        log.error("%s: %s", getattr(source, "__name__", source), error)
        self.show(types.MessageType.Error, f"نحوي: خطأ داخلي ({error})\nNahawi: internal error ({error})",
                  once=f"error:{error}")

    def client_supports(self, path: str) -> bool:
        return bool(get_capability(self.client_capabilities, path, False))

    # -- settings -------------------------------------------------------------------------------------

    async def load_settings(self, pushed: Any = None) -> None:
        """Read settings: initializationOptions, overridden by the client's `nahawi` section (pulled with
        workspace/configuration when the client supports it, else what it pushed)."""
        pulled, problems = pushed, []
        if self.client_supports("workspace.configuration"):
            try:
                items = [types.ConfigurationItem(section=SECTION)]
                answer = await asyncio.wait_for(self.workspace_configuration_async(
                    types.ConfigurationParams(items=items)), CONFIGURATION_TIMEOUT_S)
                pulled = answer[0] if answer else None
            except Exception as error:  # noqa: BLE001 - a client that fails the request keeps its old settings
                log.warning("workspace/configuration failed: %s", error)
        if pulled is not None and not isinstance(pulled, Mapping):
            problems.append(SECTION)
        merged = merge_sections(settings_section(self.initialization_options), pulled)
        settings, bad = parse_settings(merged)
        self.apply_settings(settings, problems + bad)

    def apply_settings(self, settings: Settings, problems: list[str]) -> None:
        self.settings = settings
        self.folders_changed()
        self.session_disabled |= self.memory.disabled
        enabled = tuple(k for k in settings.enabled_kinds if k not in self.session_disabled)
        self.settings = dataclasses.replace(settings, enabled_kinds=enabled)
        if problems and tuple(problems) != self._settings_problems:
            keys = ", ".join(problems)
            self.show(types.MessageType.Warning,
                      f"نحوي: إعدادات غير صالحة استُبدلت بالقيم الافتراضية: {keys}\n"
                      f"Nahawi: invalid settings replaced by their defaults: {keys}")
        self._settings_problems = tuple(problems)

    def folders_changed(self) -> None:
        """Settings or workspace folders changed: each folder's dictionary is made again when needed."""
        root = self._workspace_root()
        self.dictionary = self._make_dictionary(root)
        self._dictionaries = {root: self.dictionary}
        self._memories = {}
        self.memory = self.memory_for(None)
        for state in self.documents.values():
            state.ignored = self.memory_for(state.uri).ignored

    def memory_for(self, uri: str | None) -> Memory:
        """The memory beside the dictionary that uri's findings are filtered with."""
        dictionary = self.dictionary_for(uri) if uri else self.dictionary
        path = dictionary.path.parent / MEMORY_FILE
        if path not in self._memories:
            memory = self._memories[path] = Memory(path, private=dictionary.private)
            if (problem := memory.load()) is not None:
                self.show(types.MessageType.Warning, f"نحوي: تعذّرت قراءة {problem}\nNahawi: cannot read {problem}",
                          once=f"memory:{problem}")
        return self._memories[path]

    def dictionary_for(self, uri: str) -> Dictionary:
        """The dictionary of the workspace folder holding uri (the innermost one), else the root's."""
        root = self._folder_of(uri) or self._workspace_root()
        if root not in self._dictionaries:
            self._dictionaries[root] = self._make_dictionary(root)
        return self._dictionaries[root]

    def _folder_of(self, uri: str) -> str | None:
        path = to_fs_path(uri) if uri.startswith("file:") else None
        if not path:
            return None
        try:
            folders = [to_fs_path(f.uri) for f in self.workspace.folders.values()]
        except RuntimeError:
            return None
        inside = [f for f in folders if f and (path == f or path.startswith(f.rstrip(os.sep) + os.sep))]
        return max(inside, key=len) if inside else None

    def _make_dictionary(self, root: str | None) -> Dictionary:
        extras = [workspace_dictionary_path(root)] if root else []
        path = user_dictionary_path()
        if self.settings.dictionary_scope == "workspace":
            if root:
                path, extras = extras[0], [user_dictionary_path()]
            else:
                self.show(types.MessageType.Warning, "نحوي: لا يوجد مجلد عمل لقاموس المساحة\n"
                          "Nahawi: dictionaryScope is 'workspace' but no workspace folder is open; "
                          "using the user dictionary", once="dictionary:no-root")
        for name in self.settings.dictionary_paths:
            extra = Path(name).expanduser()
            extras.append(extra if extra.is_absolute() or not root else Path(root) / extra)
        dictionary = Dictionary(path, extras, private=path == user_dictionary_path())
        for problem in dictionary.load():
            self.show(types.MessageType.Warning, f"نحوي: تعذّرت قراءة القاموس {problem}\n"
                      f"Nahawi: cannot read dictionary {problem}", once=f"dictionary:{problem}")
        return dictionary

    def _workspace_root(self) -> str | None:
        try:
            return self.workspace.root_path or None
        except RuntimeError:
            return None

    async def settings_changed(self, pushed: Any = None) -> None:
        old = self.settings
        await self.load_settings(pushed)
        engine_changed = engine_key(old) != engine_key(self.settings)
        for state in list(self.documents.values()):
            if engine_changed:
                state.forget()
            if self.settings.check_on != "manual":
                self.schedule(state, 0)
            else:
                self.publish(state)

    # -- the engine -----------------------------------------------------------------------------------

    async def engine(self):
        """The loaded Corrector, or None after reporting (once per setting) why it could not be loaded. A
        load (seconds) is shown as progress, or logged to the client when it has no progress bar."""
        key = engine_key(self.settings)
        token, shown_here = None, False
        if self.host.key != key and not self._loading_shown:
            self._loading_shown = shown_here = True
            text = "تحميل النموذج / loading the model"
            token = await self.progress_begin(text, percentage=None)
            if token is None:
                self.window_log_message(types.LogMessageParams(type=types.MessageType.Info, message=f"Nahawi: {text}"))
        try:
            corrector = await self.host.ensure(key)
        finally:
            if shown_here:
                self._loading_shown = False
            self.progress_end(token)
        if corrector is None:
            where = self.settings.model_dir or "the default model"
            self.show(types.MessageType.Error,
                      f"نحوي: تعذّر تحميل النموذج من {where}: {self.host.error}. لن تظهر تشخيصات.\n"
                      f"Nahawi: could not load the model from {where}: {self.host.error}. "
                      "No diagnostics will be shown.", once=f"model:{self.host.key}")
        return corrector

    # -- checking -------------------------------------------------------------------------------------

    def schedule(self, state: DocumentState, delay_s: float) -> None:
        """(Re)start the check of a document after delay_s; a pending or running check is cancelled."""
        if state.task is not None and not state.task.done():
            state.task.cancel()
        state.task = asyncio.get_running_loop().create_task(self._check_later(state, delay_s))

    async def check_now(self, state: DocumentState) -> None:
        """Check a document now and wait for it; returns early when a newer edit cancels that check."""
        self.schedule(state, 0)
        task = state.task
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.cancelled():
                raise

    async def _check_later(self, state: DocumentState, delay_s: float) -> None:
        try:
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            await self.ready.wait()
            if await self.engine() is not None:
                await refresh_profile(self, state)
            await self.check(state)
        except asyncio.CancelledError:
            raise
        except Exception:  # one failed check must not take the server down
            log.exception("checking %s failed", state.uri)

    async def check(self, state: DocumentState) -> None:
        if self.documents.get(state.uri) is not state:
            return
        text, version, generation = state.text, state.version, state.generation
        if state.language_id not in self.settings.languages or self._too_large(state, text):
            if state.checked_version is not None or state.too_large:
                state.forget()
                self.publish_empty(state.uri, version)  # clear what an earlier check showed
            return
        corrector = await self.engine()
        if corrector is None:
            self.publish_empty(state.uri, version)
            return
        if state.generation != generation:
            return
        if state.without_punctuation and self.punctuation_wanted():
            state.forget()  # the writer turned punctuation back on: its paragraphs need the punctuation model
        plan = state.plan_for(corrector.options.segment_words)
        missing = state.missing(plan)
        self.counters["checks"] += 1
        self.counters["segments_reused"] += len(plan.segments) - len(missing)
        token = None
        if state.checked_version is None and len(missing) >= PROGRESS_MIN_SEGMENTS:
            count = len(missing)
            token = await self.progress_begin(f"تدقيق {count} فقرة / checking {count} paragraphs")
        try:
            for done in range(0, len(missing), CHUNK_SEGMENTS):
                if not await self._infer(state, corrector, missing[done:done + CHUNK_SEGMENTS], generation):
                    return
                self.progress_report(token, done + CHUNK_SEGMENTS, len(missing))
        finally:
            self.progress_end(token)
        await asyncio.sleep(0)  # requests waiting on the same paragraphs (code actions) answer before publishing
        if state.generation != generation or state.version != version:
            self.counters["stale_checks"] += 1
            return
        state.complete(plan, version)
        self.dictionary_for(state.uri).reload_if_changed()
        self.publish(state)

    async def check_paragraphs(self, state: DocumentState, start: int = 0, end: int | None = None) -> None:
        """Correct, now, the paragraphs of the current text in [start, end] that have no result yet (at most
        SYNC_SEGMENTS of them: code actions wait for this), unless checking is manual or the engine is
        not loaded."""
        corrector = self.host.corrector
        if (corrector is None or state.plan is None or self.settings.check_on == "manual"
                or state.language_id not in self.settings.languages):
            return
        missing = state.missing(state.plan, start, end)
        if 0 < len(missing) <= SYNC_SEGMENTS:
            self.counters["sync_checks"] += 1
            queued = {id(f): f for text in missing if (f := state.pending.get(text)) is not None}
            new = [text for text in missing if text not in state.pending]
            jobs = [asyncio.shield(f) for f in queued.values()]
            if new:
                jobs.append(self._infer(state, corrector, new, state.generation))
            await asyncio.gather(*jobs, return_exceptions=True)
            state.invalidate()

    async def _infer(self, state: DocumentState, corrector, texts: list[str], generation: int) -> bool:
        """Correct texts on the engine thread and store their results in state, even when this check is
        cancelled meanwhile (the paragraphs stay valid); False when the job was dropped as stale."""
        punctuation = self.punctuation_wanted()
        future = self.host.correct(corrector, texts, lambda: state.generation == generation, punctuation)
        state.pending.update(dict.fromkeys(texts, future))

        def store(done: asyncio.Future) -> None:
            for text in texts:
                if state.pending.get(text) is done:
                    del state.pending[text]
            if done.cancelled():
                return
            if done.exception() is not None:
                log.error("engine call failed: %s", done.exception())
            elif done.result() is not None and self.host.corrector is corrector:
                state.results.update(done.result())
                state.without_punctuation |= not punctuation

        future.add_done_callback(store)
        result = await asyncio.shield(future)
        return result is not None

    def _too_large(self, state: DocumentState, text: str) -> bool:
        limit = self.settings.max_file_size
        if len(text) <= limit // 4 or len(text.encode("utf-8", "surrogatepass")) <= limit:
            state.too_large = False
            return False
        if not state.too_large:
            state.too_large = True
            self.show(types.MessageType.Warning,
                      f"نحوي: الملف أكبر من الحد ({limit} بايت) فلن يُدقَّق: {state.uri}\n"
                      f"Nahawi: not checking {state.uri}: larger than maxFileSize ({limit} bytes)")
        return True

    async def progress_begin(self, message: str, percentage: int | None = 0,
                             cancellable: bool = False) -> str | None:
        if not self.client_supports("window.work_done_progress"):
            return None
        token = f"nahawi-check-{uuid.uuid4().hex}"
        try:
            await self.work_done_progress.create_async(token)
        except Exception as error:  # noqa: BLE001 - no progress bar is not worth failing the check
            log.info("no progress: %s", error)
            return None
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title="Nahawi", message=message, percentage=percentage, cancellable=cancellable))
        return token

    def progress_report(self, token: str | None, done: int, total: int) -> None:
        if token is not None:
            percentage = min(100, round(100 * done / max(total, 1)))
            self.work_done_progress.report(token, types.WorkDoneProgressReport(percentage=percentage))

    def progress_end(self, token: str | None) -> None:
        if token is not None:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd())
            self.work_done_progress.tokens.pop(token, None)

    # -- publishing -----------------------------------------------------------------------------------

    def visible_findings(self, state: DocumentState):
        return visible(state.findings, state.text, self.settings, self.dictionary_for(state.uri), state.ignored)

    def publish(self, state: DocumentState) -> None:
        """Publish the findings of the last check, unless the document has changed since (to a client that
        pulls: ask it to pull again)."""
        if state.checked_version is None:
            return
        if state.version != state.checked_version:
            self.counters["stale_publishes"] += 1
            return
        if self.pulling:
            refresh(self)
            return
        if self._json is None or self._json.settings is not self.settings:
            self._json = DiagnosticJson(self.settings)
        self.protocol.send_raw(self._json.publish(state.uri, state.checked_version, self.visible_findings(state),
                                                  self.line_index(state)))
        self.counters["publishes"] += 1

    def publish_empty(self, uri: str, version: int | None) -> None:
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[],
                                                                              version=version))

    def line_index(self, state: DocumentState) -> LineIndex:
        return state.line_index(self.workspace.position_codec)

    async def fix_all(self, state: DocumentState) -> list[Finding | Rewrite] | None:
        """What fix-all changes in the current text, each changed paragraph read again until nothing is left
        to fix (`fixall`); None when the document changed meanwhile or nothing is checked yet."""
        findings, corrector, generation = self.visible_findings(state), self.host.corrector, state.generation
        if not findings or corrector is None or state.plan is None:
            return None
        dictionary = self.dictionary_for(state.uri)

        def filters() -> tuple:  # what decides which findings are visible
            return id(self.settings), len(state.ignored), len(dictionary.words), id(corrector)

        if state.fixed is None or state.fixed.filters != filters():
            state.fixed = FixedPoints(filters())

        async def check(texts: list[str]):
            return await self.host.correct(corrector, texts, lambda: state.generation == generation,
                                           self.punctuation_wanted())

        hidden = [f for f in state.findings if f.key in state.ignored] if state.ignored else []
        changes = await fixed_point(state.text, state.plan, findings, hidden, state.results, check,
                                    lambda fs, text, ignored: visible(fs, text, self.settings, dictionary, ignored),
                                    state.ignored, state.fixed)
        state.fixed.filters = filters()  # ignored keys it carried into fixed text change nothing remembered
        return None if changes is None or state.generation != generation else changes

    def action_context(self, state: DocumentState, fix_all=None) -> ActionContext:
        index = self.line_index(state)
        lexicon = getattr(getattr(self.host.corrector, "stages", None), "lexicon", None)
        return ActionContext(state.uri, state.version, index, self.visible_findings(state),
                             self.settings.message_language,
                             self.client_supports("workspace.workspace_edit.document_changes"),
                             lambda finding: to_diagnostic(finding, index, self.settings),
                             "edit" in (get_capability(self.client_capabilities,
                                                       "text_document.code_action.resolve_support.properties", None)
                                        or ()), fix_all,
                             lambda finding: alternatives(lexicon, state.text, finding.start, finding.rel))

    def current_state(self, uri: Any) -> DocumentState:
        """The open document's state whose findings match its current version, for actions and commands."""
        if not isinstance(uri, str) or uri not in self.documents:
            raise JsonRpcInvalidParams(f"not an open document: {uri!r}")
        return self.documents[uri]

    def profile_changed(self, current: DocumentState | None = None) -> None:
        """The engine corrects for another profile: every document's results are dropped and it is read
        again (checks in flight are stale; `current` is about to be checked by the caller)."""
        for state in self.documents.values():
            state.results.clear()
            state.fixed = None
            state.generation += 1
            state.invalidate()
            if state is not current and (state.checked_version is not None or state.task is not None):
                self.schedule(state, 0)  # even with checkOn "manual": what was shown came from another profile

    def punctuation_wanted(self) -> bool:
        """Whether the writer sees punctuation findings: if not, the engine skips its punctuation model."""
        return "punctuation" in self.settings.enabled_kinds

    def republish_all(self) -> None:
        for state in self.documents.values():
            self.publish(state)

    def stats(self) -> dict[str, Any]:
        documents = {uri: {"version": s.checked_version, "paragraphs": len(s.plan.segments) if s.plan else 0,
                           "findings": len(s.findings), "planRead": s.plan.read if s.plan else 0,
                           "ignored": len(s.ignored)} for uri, s in self.documents.items()}
        engine = {**self.host.info(), **dataclasses.asdict(self.host.stats)}
        return {"version": __version__, "settings": settings_to_dict(self.settings), "engine": engine,
                "counters": dict(self.counters), "documents": documents,
                "dictionary": {"path": str(self.dictionary.path), "words": len(self.dictionary.words)},
                "profile": {"path": str(self.learning.path), "applied": self.learning.applied is not None}}
