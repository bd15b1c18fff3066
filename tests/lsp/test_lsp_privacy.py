"""What the server leaves on disk, over stdio with a fresh home folder: the user dictionary 0600 in a 0700
folder, and so the decisions log and what `nahawi.adapt` learned from it; a log at INFO without a word of
the document; no ONNX Runtime telemetry queue."""
from __future__ import annotations

import json
import os
import stat

import pytest
from lsp_client import command, open_document, published, start_server, stop_server
from lsprotocol import types

pytestmark = pytest.mark.asyncio(loop_scope="function")

TEXT = "هذه المسالة مهمة جدا لجميع الطلاب والمعلمين\n"


async def test_dictionary_log_and_cache_stay_private(trained_model_dir, tmp_path):
    home, log = tmp_path / "home", tmp_path / "server.log"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "ORT_DISABLE_TELEMETRY")}
    env["HOME"] = str(home)
    mask = os.umask(0o022)  # the server inherits it: what a default umask would make readable
    try:
        client = await start_server("visual-studio-code", tmp_path, {"modelDir": str(trained_model_dir)},
                                    args=("--log-file", str(log), "--log-level", "INFO"), env=env)
    finally:
        os.umask(mask)
    uri = (tmp_path / "workspace" / "private.txt").as_uri()
    open_document(client, uri, TEXT)
    [target] = (await published(client, uri, 1)).diagnostics
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=target.range,
        context=types.CodeActionContext(diagnostics=[target])))
    ignore = next(a.command for a in actions if a.command and a.command.command == "nahawi.ignore")
    await command(client, ignore.command, *ignore.arguments)  # a decision with its sentence, in the profile
    assert (await command(client, "nahawi.adapt"))["learned"]
    result = await command(client, "nahawi.addToDictionary", "المسالة")
    await stop_server(client)
    for name in ("decisions.jsonl", "learned.json", "overlay.tsv", "ignored.json"):
        assert stat.S_IMODE((tmp_path / "data" / "nahawi" / "profile" / name).stat().st_mode) == 0o600, name
    dictionary = tmp_path / "data" / "nahawi" / "profile" / "dictionary.txt"
    assert result["path"] == str(dictionary) and dictionary.read_text(encoding="utf-8") == "المسالة\n"
    assert stat.S_IMODE(dictionary.stat().st_mode) == 0o600
    assert stat.S_IMODE(dictionary.parent.stat().st_mode) == 0o700
    written = log.read_text(encoding="utf-8")
    assert "model loaded" in written and "recorded an ignored" in written  # the log is on, at INFO
    quoted = {form for word in TEXT.split() for form in (word, json.dumps(word)[1:-1], repr(word))}
    assert not [form for form in quoted if form in written]  # pygls writes JSON with \\u escapes
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert not (home / ".cache" / "Microsoft").exists()
