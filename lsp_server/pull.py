"""Pull diagnostics (LSP 3.17 `textDocument/diagnostic`): the client asks for a document's findings.

Owns the answer: the findings of the client's current version once its check has finished (a request made
right after an edit waits for the re-check rather than answering with an old version), as a full report
whose `resultId` is a digest of what it says, or an `unchanged` report when the client already holds that
result. A client that pulls gets no more pushed diagnostics (they would be shown twice): what was pushed
before its first pull is cleared, and later changes that are not edits (settings, the dictionary, ignore)
are announced with `workspace/diagnostic/refresh` when it supports that. Knows nothing of engines.
"""
from __future__ import annotations

import asyncio
import hashlib
import json

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from lsp_server.diagnostics import to_diagnostic

IDENTIFIER = "nahawi"
OPTIONS = types.DiagnosticOptions(identifier=IDENTIFIER, inter_file_dependencies=False, workspace_diagnostics=False)


def register_pull(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, OPTIONS)
    async def diagnostic(ls, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        state = ls.documents.get(params.text_document.uri)
        if state is None:
            raise JsonRpcInvalidParams(f"not an open document: {params.text_document.uri!r}")
        start_pulling(ls)
        await _checked(ls, state)
        diagnostics = [to_diagnostic(f, ls.line_index(state), ls.settings) for f in ls.visible_findings(state)] \
            if state.checked_version is not None else []
        result_id = _digest(ls, diagnostics)
        if params.previous_result_id == result_id:
            return types.UnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.FullDocumentDiagnosticReport(items=diagnostics, result_id=result_id)


def start_pulling(ls) -> None:
    """The client pulls: stop pushing, and clear what was pushed before."""
    if ls.pulling:
        return
    ls.pulling = True
    for state in ls.documents.values():
        ls.publish_empty(state.uri, state.version)


def refresh(ls) -> None:
    """Ask a pulling client to pull again (findings changed without an edit)."""
    if ls.client_supports("workspace.diagnostics.refresh_support"):
        ls.workspace_diagnostic_refresh(None)


async def _checked(ls, state) -> None:
    """Wait for the check of the document's current version, when one is pending or running."""
    while state.checked_version != state.version and state.task is not None and not state.task.done():
        task = state.task
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.cancelled():
                raise  # this request was cancelled; a cancelled check was replaced by a newer one


def _digest(ls, diagnostics: list[types.Diagnostic]) -> str:
    """The same diagnostics (ranges included) give the same id, whatever the version they were found in."""
    body = json.dumps(ls.protocol._converter.unstructure(diagnostics), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()[:24]
