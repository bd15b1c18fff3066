"""`nahawi.adapt` in the background (issue 17), over stdio with the real server on the trained tiny model: while it
learns from a long document, an edit is still checked and published; the client's Cancel on its progress
(window/workDoneProgress/cancel) or `nahawi.adaptCancel` stops it, and nothing is written to the profile."""
from __future__ import annotations

import asyncio

import pytest
from lsp_client import TIMEOUT_S, command, open_document, published, start_server, stop_server
from lsprotocol import types

from export.fixtures import SENTENCES

pytestmark = pytest.mark.asyncio(loop_scope="function")

SKY = "كانت السماء صافيه والجو جميلا في الربيع"
SCHOOL = "ذهب الطالب الى المدرسة في الصباح الباكر"


def long_document(path, lines: int = 20_000):
    """The writer's own text, every line different (the engine corrects each, none from its cache)."""
    path.write_text("".join(f"{SENTENCES[k % len(SENTENCES)]} {k}\n" for k in range(lines)), encoding="utf-8")
    return path


async def learning_progress(client) -> str:
    """The token of nahawi.adapt's progress once it has reported a step: it is learning."""
    for _ in range(int(TIMEOUT_S / 0.02)):
        for token, values in list(client.progress_reports.items()):
            if values and isinstance(values[0], types.WorkDoneProgressBegin) and values[0].cancellable \
                    and any(isinstance(v, types.WorkDoneProgressReport) and v.percentage for v in values):
                return token
        await asyncio.sleep(0.02)
    raise AssertionError(f"nahawi.adapt reported no progress; got {client.progress_reports}")


def ended(client, token) -> bool:
    return any(isinstance(v, types.WorkDoneProgressEnd) for v in client.progress_reports[token])


def profile_files(client) -> list[str]:
    folder = client.root / "data" / "nahawi" / "profile"  # XDG_DATA_HOME is root/data (lsp_client)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def test_checks_go_on_while_adapt_learns_and_its_progress_cancels_it(trained_model_dir, tmp_path):
    client = await start_server("visual-studio-code", tmp_path, {"modelDir": str(trained_model_dir), "debounceMs": 30})
    try:
        uri = (tmp_path / "workspace" / "open.txt").as_uri()
        open_document(client, uri, SCHOOL)
        assert {d.data["original"] for d in (await published(client, uri, 1)).diagnostics} == {"الى"}
        learning = asyncio.create_task(command(client, "nahawi.adapt", str(long_document(tmp_path / "mine.txt"))))
        token = await learning_progress(client)
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=SKY)]))
        assert {d.data["original"] for d in (await published(client, uri, 2)).diagnostics} == {"صافيه"}
        assert not learning.done() and not ended(client, token)  # checked while the learning went on
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        assert await asyncio.wait_for(learning, TIMEOUT_S) == {"learned": False, "cancelled": True}
        assert ended(client, token) and profile_files(client) == []  # nothing learned, nothing written
        assert any("أُلغي التعلّم" in m.message for m in client.messages)
        result = await command(client, "nahawi.adapt", uri)  # the next one runs (and learns)
        assert result["learned"] and result["documents"] == 1
        assert {"overlay.tsv", "learned.json", "decisions.jsonl"} <= set(profile_files(client))
    finally:
        await stop_server(client)


async def test_nahawi_adapt_cancel_stops_it_for_a_client_without_a_cancel_button(trained_model_dir, tmp_path):
    client = await start_server("neovim", tmp_path, {"modelDir": str(trained_model_dir)})
    try:
        assert "nahawi.adaptCancel" in client.server_capabilities.execute_command_provider.commands
        assert await command(client, "nahawi.adaptCancel") == {"cancelled": False}  # nothing running
        learning = asyncio.create_task(command(client, "nahawi.adapt", str(long_document(tmp_path / "mine.txt"))))
        await learning_progress(client)
        assert await command(client, "nahawi.adaptCancel") == {"cancelled": True}
        assert await asyncio.wait_for(learning, TIMEOUT_S) == {"learned": False, "cancelled": True}
        assert profile_files(client) == []
    finally:
        await stop_server(client)
