"""Settings through workspace/configuration and didChangeConfiguration take effect on the running server;
session actions (disable a kind), check modes, progress and the workspace dictionary."""
from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from lsp_client import (
    command,
    open_document,
    published,
    republished,
    start_server,
    stop_server,
)
from lsprotocol import types

from export.fixtures import SENTENCES

pytestmark = pytest.mark.asyncio(loop_scope="module")

TEXT = "اريد ان اتعلم اللغة العربية وقواعدها\nكانت السماء صافيه والجو جميلا في الربيع\n"
BASE = {"debounceMs": 20}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(trained_model_dir, tmp_path_factory):
    client = await start_server("visual-studio-code", tmp_path_factory.mktemp("settings"),
                                {"modelDir": str(trained_model_dir)}, configuration=dict(BASE))
    yield client
    await stop_server(client)


async def configure(client, uri: str | None = None, **settings) -> types.PublishDiagnosticsParams | None:
    """Set the client's `nahawi` section, tell the server, wait until it has pulled them; then return
    uri's next diagnostics (when a uri is given)."""
    count = len(client.published)
    client.set_configuration({**BASE, **settings}, section="nahawi")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    wanted = {"checkOn": "change", **settings}
    for _ in range(1000):
        current = (await command(client, "nahawi.stats"))["settings"]
        if all(current[k] == v or isinstance(v, dict) and v.items() <= current[k].items()
               for k, v in wanted.items()):
            return await republished(client, uri, count) if uri else None
        await asyncio.sleep(0.01)
    raise AssertionError(f"the server did not take {wanted}")


def uri_for(client, name: str) -> str:
    return (client.root / "workspace" / name).as_uri()


async def test_configuration_changes_take_effect(client):
    uri = uri_for(client, "config.txt")
    open_document(client, uri, TEXT)
    kinds = {d.code for d in (await published(client, uri, 1)).diagnostics}
    assert kinds == {"hamza", "ta_marbuta"}

    params = await configure(client, uri, enabledKinds=["ta_marbuta"])
    assert {d.code for d in params.diagnostics} == {"ta_marbuta"}

    params = await configure(client, uri, messageLanguage="en", severity={"hamza": "error"})
    hamza = [d for d in params.diagnostics if d.code == "hamza"]
    assert len(hamza) == 3 and all(d.severity == types.DiagnosticSeverity.Error for d in hamza)
    assert any(d.message.startswith('Hamza: "اريد" → "أريد"') for d in hamza)

    params = await configure(client, uri, languages=["markdown"])
    assert params.diagnostics == [] or not params.diagnostics
    params = await configure(client, uri)
    assert {d.code for d in params.diagnostics} == kinds


async def test_manual_and_save_check_modes(client):
    uri = uri_for(client, "modes.txt")
    await configure(client, checkOn="manual")
    open_document(client, uri, TEXT)
    result = await command(client, "nahawi.checkDocument", uri)
    assert result["findings"][uri] == 4
    assert len((await published(client, uri, 1)).diagnostics) == 4

    await configure(client, uri, checkOn="save")
    count = len(client.published)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=TEXT.replace("صافيه", "صافية"))]))
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    params = await republished(client, uri, count)
    assert params.version == 2 and {d.code for d in params.diagnostics} == {"hamza"}
    await configure(client, uri)


async def test_first_check_of_a_large_document_reports_progress(client):
    uri = uri_for(client, "large.txt")
    open_document(client, uri, "\n".join(SENTENCES) + "\n")
    await published(client, uri, 1)
    checks = [values for values in client.progress_reports.values() if "checking" in values[0].message]
    assert len(checks) == 1, "one progress for the first check"
    (values,) = checks
    kinds = [type(v).__name__ for v in values]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
    percentages = [v.percentage for v in values[1:-1]]
    assert len(percentages) >= 2 and percentages == sorted(percentages) and percentages[-1] == 100
    assert set(kinds[1:-1]) == {"WorkDoneProgressReport"}


async def test_disable_kind_action_lasts_the_session(client):
    uri = uri_for(client, "disable.txt")
    open_document(client, uri, TEXT)
    params = await published(client, uri, 1)
    target = next(d for d in params.diagnostics if d.code == "hamza")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=target.range,
        context=types.CodeActionContext(diagnostics=[target])))
    disable = next(a.command for a in actions if a.command and a.command.command == "nahawi.disableKind")
    count = len(client.published)
    await command(client, disable.command, *disable.arguments)
    assert {d.code for d in (await republished(client, uri, count)).diagnostics} == {"ta_marbuta"}
    params = await configure(client, uri, debounceMs=10)  # a settings reload keeps the session's choice
    assert {d.code for d in params.diagnostics} == {"ta_marbuta"}


async def test_workspace_dictionary_scope(client):
    uri = uri_for(client, "words.txt")
    open_document(client, uri, TEXT)
    await published(client, uri, 1)
    await configure(client, uri, dictionaryScope="workspace")
    count = len(client.published)
    result = await command(client, "nahawi.addToDictionary", "صافيه")
    path = client.root / "workspace" / ".nahawi" / "dictionary.txt"
    assert result["path"] == str(path) and path.read_text(encoding="utf-8") == "صافيه\n"
    assert all(d.data["original"] != "صافيه" for d in (await republished(client, uri, count)).diagnostics)
