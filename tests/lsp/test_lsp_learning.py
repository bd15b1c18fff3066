"""The server learns from its writer (issue 17), over stdio with the real server and the real CLI: a quick fix
applied is recorded as accepted and "ignore here" / "disable" as ignored, in the profile's decisions log
(code-point offsets into the sentence, 0600 in a 0700 folder); `nahawi.adapt` learns from that log (and
from open documents) and the republished diagnostics no longer carry what was ignored; a profile that
`nahawi adapt` changes on disk is picked up without an edit."""
from __future__ import annotations

import asyncio
import json
import stat

import pytest
import pytest_asyncio
from lsp_client import (
    TIMEOUT_S,
    apply_text_edits,
    command,
    open_document,
    published,
    republished,
    start_server,
    stop_server,
    text_edits,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from typer.testing import CliRunner

from nahawi.cli import app
from nahawi.profile import Profile, read_decisions

pytestmark = pytest.mark.asyncio(loop_scope="module")

# An emoji (two UTF-16 units) and diacritics before «الى» in its sentence: offsets in code points differ.
EMOJI = "😀 ذَهَبَ الطالبُ الى المدرسه في الصباح."
SCHOOL = "ذهب الطالب الى المدرسة في الصباح الباكر"
SKY = "كانت السماء صافيه والجو جميلا في الربيع"
TEXT = f"{SCHOOL}\n{SKY}\n"
SETTINGS = {"debounceMs": 30}


def profile_dir(client):
    return client.root / "data" / "nahawi" / "profile"  # XDG_DATA_HOME is root/data (lsp_client)


def decisions(client) -> list:
    return read_decisions(profile_dir(client) / "decisions.jsonl")


def uri_in(client, folder: str, name: str) -> str:
    return (client.root / folder / name).as_uri()


def replace_text(client, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def actions_for(client, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
        context=types.CodeActionContext(diagnostics=[diagnostic])))


async def shown_message(client, part: str) -> types.ShowMessageParams:
    """The first window/showMessage containing part (waiting for it)."""
    for _ in range(int(TIMEOUT_S / 0.05)):
        found = next((m for m in client.messages if part in m.message), None)
        if found is not None:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no message with {part!r}; got {[m.message for m in client.messages]}")


def by_original(diagnostics, original: str) -> types.Diagnostic:
    return next(d for d in diagnostics if d.data["original"] == original)


def action_command(actions, name: str) -> types.Command:
    return next(a.command for a in actions if a.command and a.command.command == name)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(trained_model_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("learning")
    client = await start_server("visual-studio-code", root, {"modelDir": str(trained_model_dir), **SETTINGS})
    yield client
    await stop_server(client)


async def test_an_applied_quick_fix_is_recorded_as_accepted(client):
    uri = uri_in(client, "workspace", "accept.txt")
    open_document(client, uri, EMOJI)
    target = by_original((await published(client, uri, 1)).diagnostics, "الى")
    actions = await actions_for(client, uri, target)
    preferred = next(a for a in actions if a.is_preferred)
    assert preferred.command.command == "nahawi.accepted"
    other = by_original(client.diagnostics[uri], "المدرسه")
    unapplied = next(a for a in await actions_for(client, uri, other) if a.is_preferred).command
    # The editor applies the edit, then runs the action's command (VS Code, Neovim, Helix, eglot).
    replace_text(client, uri, 2, apply_text_edits(EMOJI, text_edits(preferred.edit, uri), client.encoding))
    assert await command(client, "nahawi.accepted", *preferred.command.arguments) == {"recorded": True}
    # A fix whose edit never reached the document is not an acceptance.
    assert await command(client, "nahawi.accepted", *unapplied.arguments) == {"recorded": False}
    [decision] = decisions(client)
    assert (decision.text, decision.original, decision.replacement, decision.kind, decision.decision) == \
        (EMOJI, "الى", "إلى", target.code, "accepted")
    assert decision.start == EMOJI.index("الى") and decision.rule_id == target.data["ruleId"]
    folder = profile_dir(client)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "decisions.jsonl").stat().st_mode) == 0o600


async def test_ignore_here_and_disable_are_recorded_as_ignored(client):
    uri = uri_in(client, "workspace", "ignore.txt")
    open_document(client, uri, TEXT)
    diagnostics = (await published(client, uri, 1)).diagnostics
    before = len(decisions(client))
    ignore = action_command(await actions_for(client, uri, by_original(diagnostics, "صافيه")), "nahawi.ignore")
    await command(client, ignore.command, *ignore.arguments)
    disable = action_command(await actions_for(client, uri, by_original(diagnostics, "الى")), "nahawi.disableKind")
    await command(client, disable.command, *disable.arguments)
    ignored, disabled = decisions(client)[before:]
    assert (ignored.text, ignored.original, ignored.replacement, ignored.decision) == (SKY, "صافيه", "صافية", "ignored")
    assert (disabled.text, disabled.original, disabled.kind, disabled.decision) == (SCHOOL, "الى", disable.arguments[0],
                                                                                    "ignored")
    with pytest.raises(JsonRpcInvalidParams):  # an echoed suggestion that is not one: nothing recorded
        await command(client, "nahawi.accepted", uri, {"text": SKY, "start": 9, "end": 99, "replacement": "x",
                                                       "kind": "hamza"})
    assert len(decisions(client)) == before + 2


async def test_with_recording_turned_off_in_the_profile_nothing_is_recorded(client):
    """The writer turned recording off (the app's Check menu, `nahawi adapt --no-record-decisions`): the
    server reads the profile's setting at each decision and writes nothing."""
    seen, gazelle = "رأيت مصطفي يمشي على الشاطئ مع أخيه الصغير", "رأيت الضبي في الحديقة"
    first, second = uri_in(client, "workspace", "private.txt"), uri_in(client, "workspace", "private-2.txt")
    open_document(client, first, seen)
    open_document(client, second, gazelle)
    ignored = by_original((await published(client, first, 1)).diagnostics, "مصطفي")
    accepted = by_original((await published(client, second, 1)).diagnostics, "الضبي")
    log = profile_dir(client) / "decisions.jsonl"
    before = log.read_bytes() if log.exists() else None
    off = CliRunner().invoke(app, ["adapt", "--profile", str(profile_dir(client)), "--no-record-decisions"])
    assert off.exit_code == 0, off.output
    try:
        ignore = action_command(await actions_for(client, first, ignored), "nahawi.ignore")
        await command(client, ignore.command, *ignore.arguments)
        preferred = next(a for a in await actions_for(client, second, accepted) if a.is_preferred)
        replace_text(client, second, 2, apply_text_edits(gazelle, text_edits(preferred.edit, second), client.encoding))
        assert await command(client, "nahawi.accepted", *preferred.command.arguments) == {"recorded": False}
        assert (log.read_bytes() if log.exists() else None) == before
        Profile(profile_dir(client)).set_records_decisions(True)
        assert await command(client, "nahawi.accepted", *preferred.command.arguments) == {"recorded": True}
    finally:
        Profile(profile_dir(client)).set_records_decisions(True)


async def test_a_damaged_decisions_log_is_named_and_nothing_is_learned(client):
    """A line edited by hand in decisions.jsonl: nahawi.adapt names the file and line, writes nothing, and
    the server goes on showing what it showed."""
    uri = uri_in(client, "workspace", "damaged.txt")
    open_document(client, uri, TEXT)
    shown = {d.data["original"] for d in (await published(client, uri, 1)).diagnostics}
    log = profile_dir(client) / "decisions.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    log.write_text("\n".join([*lines, '{"text": "x", "start": 0}']) + "\n", encoding="utf-8")
    count = len(client.published)
    result = await command(client, "nahawi.adapt")
    assert not result["learned"] and f"decisions.jsonl:{len(lines) + 1}: missing 'end'" in result["error"]
    assert any(m.type == types.MessageType.Error and "decisions.jsonl" in m.message for m in client.messages)
    assert not (profile_dir(client) / "learned.json").exists()
    assert {d.data["original"] for d in (await republished(client, uri, count)).diagnostics} == shown


async def test_adapt_after_ignoring_a_suggestion_removes_it_from_the_diagnostics(trained_model_dir, tmp_path):
    """"Ignore here" hides a finding in the folder whose memory keeps it (dictionaryScope "workspace"); in the
    other folder it is still shown until `nahawi.adapt` learns from the decision."""
    client = await start_server("visual-studio-code", tmp_path, {"modelDir": str(trained_model_dir),
                                                                 "dictionaryScope": "workspace", **SETTINGS},
                                folders=("one", "two"))
    try:
        first, second = uri_in(client, "one", "a.txt"), uri_in(client, "two", "b.txt")
        open_document(client, first, TEXT)
        open_document(client, second, TEXT)
        target = by_original((await published(client, first, 1)).diagnostics, "الى")
        shown = {d.data["original"] for d in (await published(client, second, 1)).diagnostics}
        assert {"الى", "صافيه"} <= shown
        ignore = action_command(await actions_for(client, first, target), "nahawi.ignore")
        await command(client, ignore.command, *ignore.arguments)
        count = len(client.published)
        result = await command(client, "nahawi.adapt")
        assert result["learned"] and result["suppressed_contexts"] == 1
        learned = json.loads((profile_dir(client) / "learned.json").read_text(encoding="utf-8"))
        assert learned["suppressed_contexts"] == [["الطالب", "الى", "المدرسة", "إلى"]]
        after = {d.data["original"] for d in (await republished(client, second, count)).diagnostics}
        assert after == shown - {"الى"}
        assert any(m.message.startswith("تعلّم نحوي من 1 قرارًا") for m in client.messages)
        assert any(isinstance(r, types.WorkDoneProgressEnd) for rs in client.progress_reports.values() for r in rs)

        # The writer's own documents: what is still suggested there, they wrote on purpose.
        count = len(client.published)
        result = await command(client, "nahawi.adapt", second)
        assert result["learned"] and result["documents"] == 1
        assert not (await republished(client, second, count)).diagnostics
        with pytest.raises(JsonRpcInvalidParams, match="no such document"):
            await command(client, "nahawi.adapt", str(tmp_path / "missing.txt"))
    finally:
        await stop_server(client)


async def test_a_profile_changed_on_disk_by_nahawi_adapt_is_picked_up(trained_model_dir, tmp_path):
    client = await start_server("neovim", tmp_path, {"modelDir": str(trained_model_dir), **SETTINGS})
    try:
        uri = uri_in(client, "workspace", "cli.txt")
        open_document(client, uri, TEXT)
        shown = {d.data["original"] for d in (await published(client, uri, 1)).diagnostics}
        assert "صافيه" in shown
        feedback = tmp_path / "feedback.jsonl"
        start = SKY.index("صافيه")
        feedback.write_text(json.dumps({"text": SKY, "start": start, "end": start + 5, "replacement": "صافية",
                                        "kind": "ta_marbuta", "decision": "ignored"}, ensure_ascii=False) + "\n",
                            encoding="utf-8")
        runner, profile = CliRunner(), str(profile_dir(client))
        count = len(client.published)
        learned = runner.invoke(app, ["adapt", "--profile", profile, "--model", str(trained_model_dir),
                                      "--feedback", str(feedback)])
        assert learned.exit_code == 0, learned.output
        assert {d.data["original"] for d in (await republished(client, uri, count)).diagnostics} == shown - {"صافيه"}
        count = len(client.published)
        forgot = runner.invoke(app, ["adapt", "--profile", profile, "--reset"])
        assert forgot.exit_code == 0, forgot.output
        assert {d.data["original"] for d in (await republished(client, uri, count)).diagnostics} == shown
        # A learned.json damaged by hand: named in one warning, nothing of it applied, the server keeps serving.
        (profile_dir(client) / "learned.json").write_text('{"format": "nahawi-profile-learned/1", "gate": []}\n',
                                                          encoding="utf-8")
        warning = await shown_message(client, "learned.json")
        assert warning.type == types.MessageType.Warning and "gate" in warning.message
        replace_text(client, uri, 2, TEXT + SKY + "\n")
        assert {d.data["original"] for d in (await published(client, uri, 2)).diagnostics} == shown
    finally:
        await stop_server(client)
