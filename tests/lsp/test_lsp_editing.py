"""The server over stdio as VS Code and as Neovim see it (Neovim negotiates UTF-8 positions, VS Code UTF-16):
diagnostics where the engine puts its edits, Markdown prose only, incremental re-checks, no stale
versions, quick fixes that produce the engine's text, ignore, and the user dictionary."""
from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from lsp_client import (
    PROFILES,
    REPO,
    actual_diagnostics,
    apply_text_edits,
    change_document,
    command,
    expected_diagnostics,
    open_document,
    published,
    republished,
    resolved,
    start_server,
    stop_server,
    text_edits,
)
from lsprotocol import types

from nahawi.contract import apply_edits
from nahawi.kinds import KINDS

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Emoji (two UTF-16 units, four UTF-8 bytes) and diacritics before edits on the same line; a CRLF line end.
PLAIN = ("😀! اريد ان اتعلم اللغة العربية وقواعدها\r\n"
         "مَرْحَبًا بكم. ذهب الطالب الى المدرسة في الصباح الباكر\n"
         "كانت السماء صافيه والجو جميلا في الربيع\n"
         "رأيت مصطفي يمشي على الشاطئ مع أخيه الصغير\n"
         "العلم نور والجهل ظلام كما يقول المثل\n")
WRONG = "ذهب الطالب الى المدرسة في الصباح الباكر"
MARKDOWN = f"""---
title: {WRONG}
---
# درس

{WRONG}

```
{WRONG}
```

    {WRONG}

`{WRONG}` انظر https://example.com/الى/{WRONG.split()[2]}

<!-- nahawi: ignore -->
{WRONG}
<!-- nahawi: enable -->
"""
SETTINGS = {"debounceMs": 30}


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=PROFILES)
async def client(request, trained_model_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp(request.param)
    client = await start_server(request.param, root, {"modelDir": str(trained_model_dir), **SETTINGS})
    yield client
    await stop_server(client)


def uri_for(client, name: str) -> str:
    return (client.root / "workspace" / name).as_uri()


async def test_open_publishes_one_diagnostic_per_engine_edit_at_client_positions(client, engine):
    uri = uri_for(client, "plain.txt")
    open_document(client, uri, PLAIN)
    params = await published(client, uri, 1)
    assert client.encoding == {"visual-studio-code": "utf-16", "neovim": "utf-8"}[client.profile]
    edits = engine.correct(PLAIN).edits
    assert len(edits) >= 6  # hamza ×4, ta marbuta, alif maqsura, punctuation: the tiny model's lessons
    assert actual_diagnostics(params.diagnostics) == expected_diagnostics(PLAIN, edits, client.encoding)
    page = REPO / "docs" / "kinds.md"
    for diagnostic in params.diagnostics:
        assert diagnostic.source == "nahawi"
        assert diagnostic.message.startswith(f"{KINDS[diagnostic.code].name_ar}: ")
        assert diagnostic.code_description.href == f"{page.as_uri()}#{diagnostic.code}"  # its kind's section
        assert f'<a id="{diagnostic.code}"></a>' in page.read_text(encoding="utf-8")
    hamza = next(d for d in params.diagnostics if d.data["original"] == "اريد")
    assert hamza.message.startswith('همزة: "اريد" ← "أريد"')
    assert hamza.severity == types.DiagnosticSeverity.Warning


async def test_markdown_checks_prose_only(client, engine):
    uri = uri_for(client, "notes.md")
    open_document(client, uri, MARKDOWN, language="markdown")
    params = await published(client, uri, 1)
    lines = MARKDOWN.splitlines()
    quoted = next(k for k, line in enumerate(lines) if line.startswith(f"`{WRONG}`"))
    prose = [(lines.index("# درس"), "# ", "درس"), (lines.index(WRONG), "", WRONG), (quoted, f"`{WRONG}` ", "انظر")]
    expected = []
    for line, before, piece in prose:
        assert lines[line].startswith(before + piece)
        shift = len(before.encode()) if client.encoding == "utf-8" else len(before)
        expected += [(line, s + shift, line, e + shift, kind, new) for _, s, _, e, kind, new
                     in expected_diagnostics(piece, engine.correct(piece).edits, client.encoding)]
    assert any(d[4] == "hamza" for d in expected)
    assert actual_diagnostics(params.diagnostics) == sorted(expected)


async def test_change_rechecks_only_the_changed_sentence(client, engine):
    uri = uri_for(client, "incremental.txt")
    open_document(client, uri, PLAIN)
    await published(client, uri, 1)
    before = (await command(client, "nahawi.stats"))["engine"]["segments"]
    start = PLAIN.index("صافيه")
    text = change_document(client, uri, 2, PLAIN, start, start + len("صافيه"), "صافية")
    params = await published(client, uri, 2)
    after = (await command(client, "nahawi.stats"))["engine"]["segments"]
    assert after - before == 1
    assert actual_diagnostics(params.diagnostics) == expected_diagnostics(text, engine.correct(text).edits,
                                                                         client.encoding)


async def test_changes_after_a_unicode_line_separator_land_where_the_client_made_them(client, engine):
    """U+2028 is not a line break in LSP (only \n, \r\n and \r are), though str.splitlines() treats it as
    one: an edit on the line after it must change the text the client changed, nothing else."""
    uri = uri_for(client, "separator.txt")
    text = "العلم نور\u2028والجهل ظلام\n" + WRONG + "\n"
    open_document(client, uri, text)
    await published(client, uri, 1)
    start = text.index("الى")
    text = change_document(client, uri, 2, text, start, start + len("الى"), "الي")
    params = await published(client, uri, 2)
    assert actual_diagnostics(params.diagnostics) == expected_diagnostics(text, engine.correct(text).edits,
                                                                         client.encoding)
    fixes = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=params.diagnostics[0].range,
        context=types.CodeActionContext(diagnostics=[])))
    assert fixes, "the code actions are offered on the client's current version"


async def test_rapid_edits_publish_only_the_latest_version(client):
    uri = uri_for(client, "rapid.txt")
    open_document(client, uri, PLAIN)
    await published(client, uri, 1)
    text, end = PLAIN, PLAIN.index("المثل") + len("المثل")
    for version in range(2, 8):  # six keystrokes, faster than the debounce
        text = change_document(client, uri, version, text, end, end, "ا")
        end += 1
    await published(client, uri, 7)
    await asyncio.sleep(0.2)
    versions = [p.version for p in client.published if p.uri == uri]
    assert versions == [1, 7]


async def test_quick_fix_and_fix_all_produce_the_engines_text(client, engine):
    uri = uri_for(client, "fix.txt")
    open_document(client, uri, PLAIN)
    params = await published(client, uri, 1)
    target = next(d for d in params.diagnostics if d.code == "ta_marbuta")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=target.range,
        context=types.CodeActionContext(diagnostics=[target])))
    preferred = next(a for a in actions if a.is_preferred)
    edit = next(e for e in engine.correct(PLAIN).edits if e.kind == "ta_marbuta")
    assert apply_text_edits(PLAIN, text_edits(preferred.edit, uri), client.encoding) == apply_edits(PLAIN, [edit])
    assert {a.command.command for a in actions if a.command} == {
        "nahawi.accepted", "nahawi.ignore", "nahawi.addToDictionary", "nahawi.disableKind"}
    assert preferred.command.command == "nahawi.accepted"  # run by the editor once the edit is applied

    fix_all = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=target.range,
        context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll])))
    assert [a.kind for a in fix_all] == ["source.fixAll.nahawi"]
    assert fix_all[0].edit is None  # thousands of edits in a big document: resolved when chosen
    fixed = apply_text_edits(PLAIN, text_edits((await resolved(client, fix_all[0])).edit, uri), client.encoding)
    assert fixed == engine.correct(PLAIN).corrected


async def test_apply_all_command_sends_the_engines_edits(client, engine):
    uri = uri_for(client, "apply.txt")
    open_document(client, uri, PLAIN)
    await published(client, uri, 1)
    result = await command(client, "nahawi.applyAll", uri)
    assert result == {"applied": True, "edits": len(engine.correct(PLAIN).edits)}
    edit = client.applied[-1].edit
    assert apply_text_edits(PLAIN, text_edits(edit, uri), client.encoding) == engine.correct(PLAIN).corrected


async def test_ignore_here_hides_that_finding_only(client):
    uri = uri_for(client, "ignore.txt")
    open_document(client, uri, PLAIN)
    params = await published(client, uri, 1)
    target = next(d for d in params.diagnostics if d.data["original"] == "ان")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=target.range,
        context=types.CodeActionContext(diagnostics=[target])))
    ignore = next(a.command for a in actions if a.command and a.command.command == "nahawi.ignore")
    count = len(client.published)
    await command(client, ignore.command, *ignore.arguments)
    remaining = (await republished(client, uri, count)).diagnostics
    assert len(remaining) == len(params.diagnostics) - 1
    assert all(d.data["original"] != "ان" for d in remaining)


async def test_add_to_dictionary_removes_the_diagnostic_and_persists(client):
    uri = uri_for(client, "dictionary.txt")
    text = "هذه المسالة مهمة جدا لجميع الطلاب والمعلمين\n"
    open_document(client, uri, text)
    params = await published(client, uri, 1)
    target = next(d for d in params.diagnostics if d.data["original"] == "المسالة")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=target.range,
        context=types.CodeActionContext(diagnostics=[target])))
    add = next(a.command for a in actions if a.command and a.command.command == "nahawi.addToDictionary")
    count = len(client.published)
    result = await command(client, add.command, *add.arguments)
    assert all(d.data["original"] != "المسالة" for d in (await republished(client, uri, count)).diagnostics)
    path = client.root / "data" / "nahawi" / "profile" / "dictionary.txt"
    assert result["path"] == str(path)
    assert path.read_text(encoding="utf-8").splitlines() == ["المسالة"]


async def test_close_clears_diagnostics(client):
    uri = uri_for(client, "close.txt")
    open_document(client, uri, PLAIN)
    assert (await published(client, uri, 1)).diagnostics
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert not (await published(client, uri, None)).diagnostics

