"""Nothing a client sends takes the server down: bad settings fall back with one message, malformed
requests get JSON-RPC errors, oversized files are skipped with a message, and a model that cannot be
loaded is reported once while the server keeps answering."""
from __future__ import annotations

import pytest
from lsp_client import command, open_document, published, raw_request, start_server, stop_server
from lsprotocol import types
from pygls.exceptions import JsonRpcException

TEXT = "اريد ان اتعلم اللغة العربية وقواعدها\nكانت السماء صافيه والجو جميلا في الربيع\n"


def uri_for(client, name: str) -> str:
    return (client.root / "workspace" / name).as_uri()


async def code_actions(client, uri: str) -> list:
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=3)),
        context=types.CodeActionContext(diagnostics=[])))


async def test_bad_settings_malformed_requests_and_huge_files(trained_model_dir, tmp_path):
    bad = {"debounceMs": -5, "severity": {"hamza": "loud"}, "colour": "red", "checkOn": 3}
    client = await start_server("neovim", tmp_path,
                                {"modelDir": str(trained_model_dir), "maxFileSize": 2000, **bad})
    try:
        uri = uri_for(client, "ok.txt")
        open_document(client, uri, TEXT)
        assert {d.code for d in (await published(client, uri, 1)).diagnostics} == {"hamza", "ta_marbuta"}
        warnings = [m.message for m in client.messages if m.type == types.MessageType.Warning]
        assert len(warnings) == 1
        assert all(key in warnings[0] for key in ("nahawi.debounceMs", "nahawi.severity.hamza", "nahawi.colour",
                                                  "nahawi.checkOn"))
        settings = (await command(client, "nahawi.stats"))["settings"]
        assert (settings["debounceMs"], settings["severity"]["hamza"], settings["checkOn"]) == (300, "warning", "change")

        big = uri_for(client, "big.txt")
        open_document(client, big, TEXT * 20)
        assert not (await published(client, big, 1)).diagnostics
        assert any("maxFileSize" in m.message for m in client.messages)

        with pytest.raises(JsonRpcException) as error:
            await raw_request(client, "textDocument/codeAction", {"textDocument": {"uri": uri}})
        assert error.value.code == -32602
        for name, arguments in (("nahawi.ignore", ["x"]), ("nahawi.disableKind", ["nope"]),
                                ("nahawi.applyAll", [42]), ("nahawi.addToDictionary", ["two words"]),
                                ("nahawi.accepted", [uri, {"text": "x", "start": 0}]), ("nahawi.accepted", [uri]),
                                ("nahawi.adapt", [42]), ("nahawi.adapt", [str(client.root / "no-such.txt")])):
            with pytest.raises(JsonRpcException):
                await command(client, name, *arguments)
        with pytest.raises(JsonRpcException) as error:
            await raw_request(client, "nahawi/noSuchMethod", {})
        assert error.value.code == -32601
        assert not await code_actions(client, uri_for(client, "never-opened.txt"))

        again = uri_for(client, "again.txt")
        open_document(client, again, TEXT, language="text")  # Neovim's and Emacs's name for plain text
        assert len((await published(client, again, 1)).diagnostics) == 4
        code = uri_for(client, "code.py")
        open_document(client, code, TEXT, language="python")
        assert (await command(client, "nahawi.checkDocument", code))["findings"] == {code: 0}
        assert all(p.uri != code for p in client.published)
    finally:
        await stop_server(client)


async def test_missing_model_is_reported_once_and_the_server_keeps_answering(tmp_path):
    missing = tmp_path / "no-such-model"
    client = await start_server("visual-studio-code", tmp_path, {"modelDir": str(missing), "debounceMs": 10})
    try:
        for name in ("a.txt", "b.md"):
            uri = uri_for(client, name)
            open_document(client, uri, TEXT, "markdown" if name.endswith(".md") else "plaintext")
            assert not (await published(client, uri, 1)).diagnostics
        errors = [m.message for m in client.messages if m.type == types.MessageType.Error]
        assert len(errors) == 1
        assert str(missing) in errors[0] and "تعذّر تحميل النموذج" in errors[0] and "could not load" in errors[0]
        stats = await command(client, "nahawi.stats")
        assert stats["engine"]["loaded"] is False and stats["engine"]["error"]
        assert not await code_actions(client, uri_for(client, "a.txt"))
        result = await command(client, "nahawi.checkDocument", uri_for(client, "a.txt"))
        assert result["findings"] == {uri_for(client, "a.txt"): 0}
        assert len([m for m in client.messages if m.type == types.MessageType.Error]) == 1
    finally:
        await stop_server(client)
