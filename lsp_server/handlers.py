"""The LSP handlers of the Nahawi language server: lifecycle, document sync, code actions and commands.

Owns the wiring from LSP methods to `NahawiServer` (which owns state, scheduling and publishing) and the
checking of command arguments (a bad argument is a JSON-RPC Invalid Params error, never a crash).
`build_server()` returns a server with every handler registered.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from lsp_server.actions import (
    CMD_ADD_WORD,
    CMD_APPLY_ALL,
    CMD_CHECK,
    CMD_DISABLE_KIND,
    CMD_IGNORE,
    CMD_STATS,
    FIX_ALL_KIND,
    code_actions,
    resolve_action,
    workspace_edit,
)
from lsp_server.diagnostics import display_span, hover_text
from lsp_server.documents import DocumentState, apply_change
from lsp_server.learning import (
    CMD_ACCEPTED,
    CMD_ADAPT,
    CMD_ADAPT_CANCEL,
    cancel_adapt,
    decision_record,
    has_fix,
    poll_profile,
    run_adapt,
    suggestion,
)
from lsp_server.pull import register_pull
from lsp_server.server import NahawiServer
from lsp_server.settings import settings_section

log = logging.getLogger("nahawi.lsp")
from nahawi.kinds import KINDS


def build_server() -> NahawiServer:
    server = NahawiServer()
    _register_lifecycle(server)
    _register_documents(server)
    _register_actions(server)
    register_pull(server)
    return server


def _register_lifecycle(server: NahawiServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: NahawiServer, params: types.InitializeParams) -> None:
        ls.initialization_options = params.initialization_options

    @server.feature(types.INITIALIZED)
    async def initialized(ls: NahawiServer, params: types.InitializedParams) -> None:
        await ls.load_settings()
        ls.ready.set()
        ls.poll = asyncio.get_running_loop().create_task(poll_profile(ls))
        await ls.engine()  # load the model now rather than on the first keystroke

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: NahawiServer, params: types.DidChangeConfigurationParams) -> None:
        await ls.settings_changed(settings_section(params.settings) if params.settings else None)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls: NahawiServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        ls.folders_changed()  # pygls has updated its list of folders
        ls.republish_all()

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: NahawiServer, params: None) -> None:
        for state in ls.documents.values():
            if state.task is not None:
                state.task.cancel()
        if ls.poll is not None:
            ls.poll.cancel()
        cancel_adapt(ls.learning)  # a learning in progress writes nothing once the client is leaving
        ls.host.shutdown()


def _register_documents(server: NahawiServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: NahawiServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        previous = ls.documents.pop(doc.uri, None)
        if previous is not None and previous.task is not None:
            previous.task.cancel()
        state = ls.documents[doc.uri] = DocumentState(doc.uri, doc.language_id, doc.text, doc.version)
        state.ignored = ls.memory_for(doc.uri).ignored if ls.memory is not None else state.ignored
        if ls.settings.check_on != "manual":
            ls.schedule(state, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: NahawiServer, params: types.DidChangeTextDocumentParams) -> None:
        state = ls.documents.get(params.text_document.uri)
        if state is None:
            return
        codec = ls.workspace.position_codec
        for change in params.content_changes:
            state.change(*apply_change(state.text, change, codec, state.index))
        state.version = params.text_document.version
        if state.task is not None and not state.task.done():
            state.task.cancel()  # a newer edit cancels the pending check
        if ls.settings.check_on == "change":
            ls.schedule(state, ls.settings.debounce_ms / 1000)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: NahawiServer, params: types.DidSaveTextDocumentParams) -> None:
        state = ls.documents.get(params.text_document.uri)
        if state is not None and ls.settings.check_on in ("change", "save"):
            ls.schedule(state, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: NahawiServer, params: types.DidCloseTextDocumentParams) -> None:
        state = ls.documents.pop(params.text_document.uri, None)
        if state is not None and state.task is not None:
            state.task.cancel()
        ls.publish_empty(params.text_document.uri, None)


def _register_actions(server: NahawiServer) -> None:
    options = types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND],
                                      resolve_provider=True)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, options)
    async def code_action(ls: NahawiServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        """Actions on the current version at once: the findings of every paragraph checked before, and the
        new paragraphs in reach (the range; the document for fix-all) checked now."""
        state = ls.documents.get(params.text_document.uri)
        if state is None:
            return []
        index = ls.line_index(state)
        start, end = sorted((index.offset(params.range.start), index.offset(params.range.end)))
        only = params.context.only
        whole = bool(only) and all(FIX_ALL_KIND.startswith(kind) for kind in only)
        await ls.check_paragraphs(state, *((0, None) if whole else (start, end)))
        fix_all = None if ls.action_context(state).resolve else await ls.fix_all(state)
        ctx = ls.action_context(state, fix_all)
        start, end = sorted((ctx.index.offset(params.range.start), ctx.index.offset(params.range.end)))
        return code_actions(ctx, start, end, only)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: NahawiServer, params: types.HoverParams) -> types.Hover | None:
        """The explanation of the findings under the cursor (where they are drawn)."""
        state = ls.documents.get(params.text_document.uri)
        if state is None:
            return None
        index = ls.line_index(state)
        offset = index.offset(params.position)
        found = [f for f in ls.visible_findings(state)
                 if (span := display_span(state.text, f.start, f.end))[0] <= offset <= span[1]]
        if not found:
            return None
        start = min(display_span(state.text, f.start, f.end)[0] for f in found)
        end = max(display_span(state.text, f.start, f.end)[1] for f in found)
        text = "\n\n---\n\n".join(hover_text(f.rel, ls.settings.message_language) for f in found)
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
                           range=index.range(start, end))

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve(ls: NahawiServer, action: types.CodeAction) -> types.CodeAction:
        """The edit of a fix of many findings, on the document's current version."""
        data = action.data if isinstance(action.data, dict) else {}
        if action.edit is not None or data.get("fix") not in ("all", "kind"):
            return action
        state = ls.current_state(data.get("uri"))
        await ls.check_paragraphs(state)
        fix_all = await ls.fix_all(state) if data.get("fix") == "all" else None
        return resolve_action(ls.action_context(state, fix_all), action)

    @server.command(CMD_CHECK)
    async def check_document(ls: NahawiServer, *args: Any) -> dict:
        uris = [_uri_argument(args)] if args else list(ls.documents)
        states = [ls.current_state(uri) for uri in uris]
        await asyncio.gather(*(ls.check_now(state) for state in states))
        return {"checked": uris, "findings": {s.uri: len(ls.visible_findings(s)) for s in states}}

    @server.command(CMD_APPLY_ALL)
    async def apply_all(ls: NahawiServer, *args: Any) -> dict:
        state = ls.current_state(_uri_argument(args))
        if state.checked_version != state.version:
            await ls.check_now(state)
        if state.checked_version != state.version:
            raise JsonRpcInvalidParams(f"{state.uri} changed while it was being checked; try again")
        ctx = ls.action_context(state, await ls.fix_all(state))
        if not ctx.findings:
            return {"applied": False, "edits": 0}
        if not ls.client_supports("workspace.apply_edit"):
            raise JsonRpcInvalidParams("the client does not support workspace/applyEdit")
        result = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
            edit=workspace_edit(ctx, ctx.fix_all_changes()), label="Nahawi: apply all"))
        return {"applied": bool(result.applied), "edits": len(ctx.findings)}

    @server.command(CMD_IGNORE)
    def ignore(ls: NahawiServer, *args: Any) -> dict:
        if len(args) != 5 or not (isinstance(args[1], str) and isinstance(args[4], str)
                                  and all(isinstance(a, int) for a in args[2:4])):
            raise JsonRpcInvalidParams("nahawi.ignore takes [uri, sentence, start, end, replacement]")
        state = ls.current_state(args[0])
        _record_ignored(ls, state, tuple(args[1:]), CMD_IGNORE)
        try:
            ls.memory_for(state.uri).ignore(tuple(args[1:]))
        except OSError as error:
            log.warning("ignored findings not saved: %s", error.strerror or error)
        state.ignored.add(tuple(args[1:]))
        ls.publish(state)
        return {"ignored": len(state.ignored)}

    @server.command(CMD_ADD_WORD)
    def add_word(ls: NahawiServer, *args: Any) -> dict:
        """[word] or [word, uri]: with the document's URI, the dictionary of its workspace folder."""
        if not args or not isinstance(args[0], str) or (len(args) > 1 and not isinstance(args[1], str)):
            raise JsonRpcInvalidParams("nahawi.addToDictionary takes [word] or [word, document URI]")
        dictionary = ls.dictionary_for(args[1]) if len(args) > 1 else ls.dictionary
        try:
            word = dictionary.add(args[0])
        except ValueError as error:
            raise JsonRpcInvalidParams(str(error)) from None
        except OSError as error:
            ls.show(types.MessageType.Error, f"نحوي: تعذّرت الكتابة في القاموس {dictionary.path}: {error}\n"
                    f"Nahawi: cannot write the dictionary {dictionary.path}: {error}")
            return {"added": False, "path": str(dictionary.path)}
        ls.republish_all()
        return {"added": True, "word": word, "path": str(dictionary.path)}

    @server.command(CMD_DISABLE_KIND)
    def disable_kind(ls: NahawiServer, *args: Any) -> dict:
        if not args or not isinstance(args[0], str) or args[0] not in KINDS or len(args) not in (1, 6):
            raise JsonRpcInvalidParams(f"nahawi.disableKind takes a kind id, one of {', '.join(KINDS)} "
                                       "(then the finding's uri, sentence, start, end and replacement)")
        if len(args) == 6 and isinstance(args[1], str) and args[1] in ls.documents:
            _record_ignored(ls, ls.documents[args[1]], tuple(args[2:]), CMD_DISABLE_KIND)
        ls.session_disabled.add(args[0])
        try:
            if ls.memory is not None:
                ls.memory.disable(args[0])
        except OSError as error:
            log.warning("disabled kinds not saved: %s", error.strerror or error)
        enabled = tuple(k for k in ls.settings.enabled_kinds if k != args[0])
        ls.settings = dataclasses.replace(ls.settings, enabled_kinds=enabled)
        ls.republish_all()
        return {"enabledKinds": list(enabled)}

    @server.command(CMD_ACCEPTED)
    def accepted(ls: NahawiServer, *args: Any) -> dict:
        """[uri, suggestion]: the client applied the quick fix of this suggestion; recorded when the
        document now has it."""
        if len(args) != 2:
            raise JsonRpcInvalidParams("nahawi.accepted takes [uri, suggestion]")
        state = ls.current_state(args[0])
        record = decision_record(args[1], "accepted", CMD_ACCEPTED)
        text = state.plan.prose.text if state.plan is not None else state.text
        if not has_fix(text, record):
            log.info("an applied fix is not in the document: not recorded")
            return {"recorded": False}
        return _record(ls, [record])

    @server.command(CMD_ADAPT)
    async def adapt(ls: NahawiServer, *args: Any) -> dict:
        """[document…]: learn from the profile's decisions and these documents (URIs or paths)."""
        return await run_adapt(ls, args)

    @server.command(CMD_ADAPT_CANCEL)
    def adapt_cancel(ls: NahawiServer, *args: Any) -> dict:
        """Stop a running nahawi.adapt (as the Cancel of its progress does)."""
        return cancel_adapt(ls.learning)

    @server.command(CMD_STATS)
    def stats(ls: NahawiServer, *args: Any) -> dict:
        return ls.stats()


def _record_ignored(ls: NahawiServer, state, key: tuple, where: str) -> None:
    """Record the finding of state with this ignore key as ignored (none: nothing, the document changed)."""
    finding = next((f for f in state.findings if f.key == key), None)
    if finding is None:
        return
    try:
        record = decision_record(suggestion(finding), "ignored", where)
    except JsonRpcInvalidParams as error:  # the ignore itself goes on; the message may quote the text
        log.warning("a %s decision not recorded: not in the decision format", finding.rel.kind)
        log.debug("not recorded: %s", error)
        return
    _record(ls, [record])


def _record(ls: NahawiServer, records: list[dict]) -> dict:
    written, problem = ls.learning.record(records)
    if problem is not None:
        ls.show(types.MessageType.Warning, f"نحوي: تعذّر حفظ قراراتك في ملفك الشخصي: {problem}\n"
                f"Nahawi: cannot record your decisions in the profile: {problem}", once=f"decisions:{problem}")
        return {"recorded": False}
    for record in records[:written]:
        ls.counters[f"decisions_{record['decision']}"] += 1
    return {"recorded": written > 0}


def _uri_argument(args: tuple) -> str:
    """A command's document: its first argument, a URI string or an object with "uri"."""
    first = args[0] if args else None
    if isinstance(first, Mapping):
        first = first.get("uri")
    if not isinstance(first, str):
        raise JsonRpcInvalidParams("this command takes a document URI as its first argument")
    return first
