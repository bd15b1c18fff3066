"""Issue 14 over stdio: fixes for the current version at any moment, and an edit in a big document that
costs what it changes. Code actions right after an edit (no re-check yet, or `checkOn = "save"`) answer
for the version the client has, checking the few new sentences first; an edit re-reads its paragraph,
not the document; diagnostics of insertions are drawn on a word while the fix stays an insertion."""
from __future__ import annotations

import pytest
from lsp_client import (
    actual_diagnostics,
    apply_text_edits,
    change_document,
    command,
    expected_diagnostics,
    open_document,
    published,
    resolved,
    start_server,
    stop_server,
    text_edits,
)
from lsprotocol import types

from lsp_server.bench import benchmark_document

pytestmark = pytest.mark.asyncio(loop_scope="function")

RIGHT = "ذهب الطالب إلى المدرسة في الصباح الباكر"
TEXT = f"العلم نور والجهل ظلام كما يقول المثل\n\n{RIGHT}\n\nكانت السماء صافيه والجو جميلا في الربيع\n"


async def fix_all(client, uri: str) -> list[types.CodeAction]:
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
        context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll])))


@pytest.mark.parametrize("check_on", ["save", "change"])
async def test_fix_all_right_after_an_edit_fixes_the_version_the_client_has(trained_model_dir, tmp_path, engine,
                                                                            check_on):
    client = await start_server("visual-studio-code", tmp_path, {"modelDir": str(trained_model_dir),
                                                                 "checkOn": check_on, "debounceMs": 5000})
    try:
        uri = (tmp_path / "workspace" / "save.txt").as_uri()
        open_document(client, uri, TEXT)
        await published(client, uri, 1)
        start = TEXT.index("إلى")
        text = change_document(client, uri, 2, TEXT, start, start + len("إلى"), "الى")
        actions = await fix_all(client, uri)  # no check of version 2 has run: the debounce is 5 s
        assert [a.kind for a in actions] == ["source.fixAll.nahawi"]
        edit = (await resolved(client, actions[0])).edit
        assert edit.document_changes[0].text_document.version == 2
        assert apply_text_edits(text, text_edits(edit, uri), client.encoding) == engine.correct(text).corrected
        assert "الى" in {e.original for e in engine.correct(text).edits}  # the new sentence was checked
    finally:
        await stop_server(client)


async def test_an_edit_in_a_big_document_rereads_its_paragraph_only(trained_model_dir, tmp_path, engine):
    client = await start_server("neovim", tmp_path, {"modelDir": str(trained_model_dir), "debounceMs": 0})
    try:
        uri = (tmp_path / "workspace" / "big.txt").as_uri()
        text = benchmark_document(1500)
        open_document(client, uri, text)
        await published(client, uri, 1)
        paragraph = text.index("\n\n", len(text) // 2) + 2
        word_end = text.index(" ", paragraph)
        text = change_document(client, uri, 2, text, paragraph, word_end, "اخذ")
        params = await published(client, uri, 2)
        assert actual_diagnostics(params.diagnostics) == expected_diagnostics(text, engine.correct(text).edits,
                                                                             client.encoding)
        read = (await command(client, "nahawi.stats"))["documents"][uri]["planRead"]
        assert 0 < read <= text.index("\n\n", paragraph) - paragraph + 2 < len(text) // 10
    finally:
        await stop_server(client)


async def test_insertions_are_drawn_on_a_word_and_fixed_as_insertions(trained_model_dir, tmp_path, engine):
    client = await start_server("visual-studio-code", tmp_path, {"modelDir": str(trained_model_dir)})
    try:
        uri = (tmp_path / "workspace" / "insert.txt").as_uri()
        open_document(client, uri, TEXT)
        params = await published(client, uri, 1)
        assert all(d.range.start != d.range.end for d in params.diagnostics)
        insertions = [e for e in engine.correct(TEXT).edits if e.start == e.end]
        assert insertions, "the tiny model inserts punctuation"
        shown = next(d for d in params.diagnostics if not d.data["original"])
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=shown.range,
            context=types.CodeActionContext(diagnostics=[shown])))
        fix = next(a for a in actions if a.is_preferred)
        (edit,) = text_edits(fix.edit, uri)
        assert edit.range.start == edit.range.end and edit.new_text == shown.data["replacement"]
    finally:
        await stop_server(client)


async def test_a_change_with_negative_positions_is_clamped_not_dropped(trained_model_dir, tmp_path, engine):
    """Issue 14: a didChange whose positions are negative (a buggy client) was dropped silently and the
    server's copy of the text diverged from the client's; it is read with the positions at 0."""
    client = await start_server("visual-studio-code", tmp_path, {"modelDir": str(trained_model_dir),
                                                                 "debounceMs": 0})
    try:
        uri = (tmp_path / "workspace" / "negative.txt").as_uri()
        open_document(client, uri, TEXT)
        await published(client, uri, 1)
        change = {"range": {"start": {"line": -1, "character": -4}, "end": {"line": 0, "character": 0}},
                  "text": "اريد ان اتعلم. "}
        client.protocol._send_data({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": 2}, "contentChanges": [change]}})
        text = change["text"] + TEXT
        params = await published(client, uri, 2)
        assert actual_diagnostics(params.diagnostics) == expected_diagnostics(text, engine.correct(text).edits,
                                                                             client.encoding)
    finally:
        await stop_server(client)


async def test_markdown_headings_and_list_items_get_no_full_stop(trained_model_dir, tmp_path, engine):
    """Issue 14: «أضف "."» at the end of a heading or a list item is noise; a paragraph still gets it."""
    line = "العلم نور والجهل ظلام كما يقول المثل"
    assert any(e.kind == "punctuation" and e.start == len(line) for e in engine.correct(line).edits)
    text = f"# {line}\n\n- {line}\n\n{line}\n"
    client = await start_server("neovim", tmp_path, {"modelDir": str(trained_model_dir)})
    try:
        uri = (tmp_path / "workspace" / "titles.md").as_uri()
        open_document(client, uri, text, language="markdown")
        stops = [d for d in (await published(client, uri, 1)).diagnostics if d.code == "punctuation"]
        assert [d.range.start.line for d in stops] == [4]
    finally:
        await stop_server(client)


async def test_hover_explains_the_finding_under_the_cursor(trained_model_dir, tmp_path):
    client = await start_server("visual-studio-code", tmp_path, {"modelDir": str(trained_model_dir)})
    try:
        uri = (tmp_path / "workspace" / "hover.txt").as_uri()
        open_document(client, uri, TEXT)
        params = await published(client, uri, 1)
        target = next(d for d in params.diagnostics if d.code == "ta_marbuta")
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=target.range.start))
        assert hover.range == target.range
        assert hover.contents.kind == types.MarkupKind.Markdown
        assert hover.contents.value.startswith("**تاء مربوطة**: ") and "صافيه" in hover.contents.value
        nothing = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=0)))
        assert nothing is None
    finally:
        await stop_server(client)


async def test_each_workspace_folder_has_its_own_dictionary(trained_model_dir, tmp_path):
    """Issue 14: "add to dictionary" from folder B wrote folder A's dictionary, and folders added later
    were ignored."""
    client = await start_server("visual-studio-code", tmp_path, {"modelDir": str(trained_model_dir),
                                                                 "dictionaryScope": "workspace"},
                                folders=("a", "b"))
    try:
        text = "هذه المسالة مهمة جدا لجميع الطلاب والمعلمين\n"
        for folder in ("b", "c"):
            if folder == "c":
                (tmp_path / "c").mkdir()
                client.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
                    event=types.WorkspaceFoldersChangeEvent(
                        added=[types.WorkspaceFolder(uri=(tmp_path / "c").as_uri(), name="c")], removed=[])))
            uri = (tmp_path / folder / "doc.txt").as_uri()
            open_document(client, uri, text)
            target = next(d for d in (await published(client, uri, 1)).diagnostics if d.data["original"] == "المسالة")
            actions = await client.text_document_code_action_async(types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), range=target.range,
                context=types.CodeActionContext(diagnostics=[target])))
            add = next(a.command for a in actions if a.command and a.command.command == "nahawi.addToDictionary")
            result = await command(client, add.command, *add.arguments)
            assert result["path"] == str(tmp_path / folder / ".nahawi" / "dictionary.txt")
        assert not (tmp_path / "a" / ".nahawi").exists()
    finally:
        await stop_server(client)


async def test_the_model_load_is_shown_as_progress(trained_model_dir, tmp_path):
    """Issue 14: nothing told the user during the seconds the model takes to load."""
    client = await start_server("visual-studio-code", tmp_path, {"modelDir": str(trained_model_dir)})
    try:
        uri = (tmp_path / "workspace" / "load.txt").as_uri()
        open_document(client, uri, TEXT)
        await published(client, uri, 1)
        reports = [r for rs in client.progress_reports.values() for r in rs]
        begin = next(r for r in reports if isinstance(r, types.WorkDoneProgressBegin))
        assert "loading the model" in begin.message
        assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    finally:
        await stop_server(client)


async def test_ignore_and_disable_kind_persist_across_sessions(trained_model_dir, tmp_path):
    """Issue 14: "ignore here" and "disable kind" were forgotten when the editor restarted the server."""
    settings = {"modelDir": str(trained_model_dir)}
    client = await start_server("neovim", tmp_path, settings)
    uri = (tmp_path / "workspace" / "keep.txt").as_uri()
    try:
        open_document(client, uri, TEXT)
        first = (await published(client, uri, 1)).diagnostics
        target = next(d for d in first if d.code == "ta_marbuta")
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=target.range,
            context=types.CodeActionContext(diagnostics=[target])))
        for name in ("nahawi.ignore", "nahawi.disableKind"):
            chosen = next(a.command for a in actions if a.command and a.command.command == name)
            if name == "nahawi.disableKind":
                chosen.arguments = ["punctuation"]
            await command(client, chosen.command, *chosen.arguments)
    finally:
        await stop_server(client)
    saved = tmp_path / "data" / "nahawi" / "profile" / "ignored.json"
    assert oct(saved.stat().st_mode & 0o777) == "0o600"
    client = await start_server("neovim", tmp_path, settings)
    try:
        open_document(client, uri, TEXT)
        again = (await published(client, uri, 1)).diagnostics
        assert {d.code for d in again} == {d.code for d in first} - {"ta_marbuta", "punctuation"}
        assert "punctuation" not in (await command(client, "nahawi.stats"))["settings"]["enabledKinds"]
    finally:
        await stop_server(client)


async def test_pull_diagnostics_answer_the_current_version_with_result_ids(trained_model_dir, tmp_path, engine):
    """Issue 14: textDocument/diagnostic (LSP 3.17) was neither advertised nor answered."""
    client = await start_server("neovim", tmp_path, {"modelDir": str(trained_model_dir), "debounceMs": 0})
    try:
        assert client.server_capabilities.diagnostic_provider.identifier == "nahawi"
        uri = (tmp_path / "workspace" / "pulled.txt").as_uri()
        text = "ذهب الطالب الى المدرسة\nاريد ان اتعلم اللغة العربية\n"
        open_document(client, uri, text)
        identifier = types.TextDocumentIdentifier(uri=uri)
        first = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=identifier))
        assert first.kind == "full" and first.result_id
        expected = expected_diagnostics(text, engine.correct(text).edits, client.encoding)
        assert expected and actual_diagnostics(first.items) == expected
        again = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
            text_document=identifier, previous_result_id=first.result_id))
        assert again.kind == "unchanged" and again.result_id == first.result_id
        pushed = len(client.published)
        start = text.index("الى")
        text = change_document(client, uri, 2, text, start, start + len("الى"), "إلى")
        second = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
            text_document=identifier, previous_result_id=first.result_id))
        assert second.kind == "full" and second.result_id != first.result_id
        assert actual_diagnostics(second.items) == expected_diagnostics(text, engine.correct(text).edits,
                                                                        client.encoding)
        assert not any(p.diagnostics for p in client.published[pushed:])  # pulled, so not pushed twice
        assert client.published[-1].uri == uri and not client.published[-1].diagnostics  # the pushed one cleared
    finally:
        await stop_server(client)
