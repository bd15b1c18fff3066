"""Driving the real server over stdio in tests: start/stop, documents, waiting for diagnostics, and
positions computed independently of the server (UTF-8/16/32 units, LSP line breaks).

Every server is the real `python -m lsp_server.main` subprocess driven by pytest-lsp's client with the
capabilities of a real editor profile, one thread, and a private XDG_CONFIG_HOME so the user dictionary
lands in the test's temporary folder.
"""
from __future__ import annotations

import asyncio
import os
import re
import sys
import uuid
from concurrent.futures import Future
from pathlib import Path

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from nahawi.text.offsets import utf16_length

REPO = Path(__file__).resolve().parents[2]
SERVER = [sys.executable, "-m", "lsp_server.main"]
PROFILES = ("visual-studio-code", "neovim")
TIMEOUT_S = 60.0


def _publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)


def _apply_edit(client: LanguageClient, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
    client.applied.append(params)
    return types.ApplyWorkspaceEditResult(applied=True)


def converter():
    """pygls' converter, except that a code action carrying a command is read as a CodeAction: lsprotocol
    2025.0.0 reads any `Command | CodeAction` object with a "command" key as a Command (editors tell them
    apart by the type of "command", as done here)."""
    conv = default_converter()

    def action_or_command(obj, _):
        return conv.structure(obj, types.Command if isinstance(obj.get("command"), str) else types.CodeAction)

    conv.register_structure_hook(types.Command | types.CodeAction, action_or_command)
    return conv


def make_client() -> LanguageClient:
    """pytest-lsp's client that also keeps every publishDiagnostics (with its version) and accepts
    workspace/applyEdit."""
    client = LanguageClient(converter_factory=converter)
    client.published = []
    client.applied = []
    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES,
                                   types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _publish,
                                   types.WORKSPACE_APPLY_EDIT: _apply_edit})
    return client


async def start_server(profile: str, root: Path, init_options: dict | None = None,
                       configuration: dict | None = None, args: tuple[str, ...] = (),
                       env: dict | None = None, folders: tuple[str, ...] = ("workspace",)) -> LanguageClient:
    """A server subprocess started with args, initialized as `profile` with root/folder for each of folders
    as its workspace folders (the first is the root); env replaces the environment (the test settings above
    are added to it)."""
    root.mkdir(parents=True, exist_ok=True)
    env = {**{k: v for k, v in (os.environ if env is None else env).items() if k != "NAHAWI_PROFILE"},
           "OMP_NUM_THREADS": "1", "NAHAWI_THREADS": "1", "PYTHONPATH": str(REPO),
           "XDG_CONFIG_HOME": str(root / "config"), "XDG_DATA_HOME": str(root / "data")}
    client = await ClientServerConfig(server_command=[*SERVER, *args], client_factory=make_client,
                                      server_env=env).start()
    if configuration is not None:
        client.set_configuration(configuration, section="nahawi")
    for folder in folders:
        (root / folder).mkdir(exist_ok=True)
    result = await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(profile), initialization_options=init_options,
        root_uri=(root / folders[0]).as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=(root / f).as_uri(), name=f) for f in folders]))
    client.encoding = result.capabilities.position_encoding or types.PositionEncodingKind.Utf16
    client.server_capabilities = result.capabilities
    client.root, client.profile = root, profile
    return client


async def stop_server(client: LanguageClient) -> None:
    await client.shutdown_session()
    await client.stop()


# -- documents ------------------------------------------------------------------------------------------

def open_document(client: LanguageClient, uri: str, text: str, language: str = "plaintext") -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))


def change_document(client: LanguageClient, uri: str, version: int, text: str, start: int, end: int,
                    new_text: str) -> str:
    """Send one incremental change replacing code points [start, end) of text; returns the new text."""
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=position(text, start, client.encoding), end=position(text, end, client.encoding)),
        text=new_text)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=[change]))
    return text[:start] + new_text + text[end:]


async def published(client: LanguageClient, uri: str, version: int | None,
                    timeout: float = TIMEOUT_S) -> types.PublishDiagnosticsParams:
    """The first diagnostics published for uri at version (waiting for them)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for params in client.published:
            if params.uri == uri and params.version == version:
                return params
        await asyncio.sleep(0.01)
    seen = [(p.uri, p.version) for p in client.published]
    raise AssertionError(f"no diagnostics for {uri} version {version} within {timeout}s; got {seen}")


async def republished(client: LanguageClient, uri: str, count: int) -> types.PublishDiagnosticsParams:
    """The next diagnostics for uri after the first count publishes (of any document)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT_S
    while loop.time() < deadline:
        for params in client.published[count:]:
            if params.uri == uri:
                return params
        await asyncio.sleep(0.01)
    raise AssertionError(f"no new diagnostics for {uri} within {TIMEOUT_S}s")


async def raw_request(client: LanguageClient, method: str, params) -> object:
    """Send a request exactly as given (no type checks on our side, as a buggy client would), return its
    result or raise the server's JSON-RPC error."""
    msg_id = str(uuid.uuid4())
    future: Future = Future()
    client.protocol._request_futures[msg_id] = future
    client.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wait_for(asyncio.wrap_future(future), TIMEOUT_S)


async def resolved(client: LanguageClient, action: types.CodeAction) -> types.CodeAction:
    """action with its edit: fixes of many findings come without it, to be resolved (codeAction/resolve)."""
    if action.edit is None and action.data is not None:
        return await client.code_action_resolve_async(action)
    return action


async def command(client: LanguageClient, name: str, *arguments):
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=list(arguments)))


# -- positions, computed independently of the server ----------------------------------------------------

def units(text: str, encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return utf16_length(text)


def _line_starts(text: str) -> list[int]:
    starts, i = [0], 0
    while i < len(text):
        if text[i] == "\r" and text[i + 1:i + 2] == "\n":
            i += 1
        if text[i] in "\r\n":
            starts.append(i + 1)
        i += 1
    return starts


def position(text: str, offset: int, encoding: str) -> types.Position:
    starts = _line_starts(text)
    line = max(k for k, s in enumerate(starts) if s <= offset)
    return types.Position(line=line, character=units(text[starts[line]:offset], encoding))


def offset_of(text: str, pos: types.Position, encoding: str) -> int:
    start = _line_starts(text)[pos.line]
    index = start
    while units(text[start:index], encoding) < pos.character:
        index += 1
    return index


def text_edits(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    if edit.document_changes:
        return [e for change in edit.document_changes if change.text_document.uri == uri for e in change.edits]
    return list((edit.changes or {}).get(uri, []))


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    spans = sorted(((offset_of(text, e.range.start, encoding), offset_of(text, e.range.end, encoding), e.new_text)
                    for e in edits), reverse=True)
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


def shown_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Where a diagnostic is drawn: the edit, or for an insertion the word before it on its line (issue 14:
    editors draw empty ranges on the neighbouring letter, line or emoji)."""
    if start != end:
        return start, end
    line_start = max(text.rfind(c, 0, start) for c in "\r\n") + 1
    before = re.search(r"(\S+)[ \t]*\Z", text[line_start:start])
    if before:
        return line_start + before.start(1), line_start + before.end(1)
    after = re.match(r"[ \t]*(\S+)", text[start:])
    return (start + after.start(1), start + after.end(1)) if after else (start, end)


def expected_diagnostics(text: str, edits, encoding: str) -> list[tuple]:
    spans = [(shown_span(text, e.start, e.end), e) for e in edits]
    return sorted((position(text, s, encoding).line, position(text, s, encoding).character,
                    position(text, t, encoding).line, position(text, t, encoding).character,
                    e.kind, e.replacement) for (s, t), e in spans)


def actual_diagnostics(diagnostics: list[types.Diagnostic]) -> list[tuple]:
    return sorted((d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character,
                    d.code, d.data["replacement"]) for d in diagnostics)
