"""The server shows what `nahawi correct` prints, on the shipped model (which has the punctuation stage):
paragraphs are cut where the CLI cuts a file, at \\n only. A lone \\r, U+2028, U+2029 or U+0085 stays inside
its paragraph, so no «.» is added before it (issue 14: the server cut there and added one).
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from lsp_client import (
    PROFILES,
    actual_diagnostics,
    apply_text_edits,
    change_document,
    command,
    expected_diagnostics,
    open_document,
    position,
    published,
    resolved,
    start_server,
    stop_server,
    text_edits,
)
from lsprotocol import types
from typer.testing import CliRunner

from lsp_server.actions import FIX_ALL_KIND
from nahawi.cli import app

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Two sentences joined by each character the CLI does not cut a file at; a CRLF line; two sentences on a line.
SEPARATED = ("ذهب الولد الى المدرسه\rو كتب الدرس في البيت\n"
             "ذهب الولد الى المدرسه\u2028و كتب الدرس في البيت\r\n"
             "ذهب الولد الى المدرسه\u2029و كتب الدرس في البيت\n"
             "ذهب الولد الى المدرسه\x85و كتب الدرس في البيت\n"
             "\n"
             "قال المدير ان الاجتماع سيعقد غدا. اريد ان اتعلم اللغة العربية\n")


def cli_edits(text: str, tmp_path, *options: str) -> list:
    """The edits `nahawi correct --format json [options]` prints for text, in offsets of the whole text."""
    source = tmp_path / "input.txt"
    source.write_bytes(text.encode("utf-8"))
    result = CliRunner().invoke(app, ["correct", str(source), "--format", "json", "--device", "cpu", *options])
    assert result.exit_code == 0, result.output
    starts, offset = [], 0
    for line in text.split("\n"):
        starts.append(offset)
        offset += len(line) + 1
    edits = []
    for record in map(json.loads, result.stdout.splitlines()):
        base = starts[record["line"] - 1]
        edits += [SimpleNamespace(**{**e, "start": e["start"] + base, "end": e["end"] + base}) for e in record["edits"]]
    return edits


@pytest.mark.parametrize("profile", PROFILES)
async def test_line_separators_give_what_the_cli_gives(profile, tmp_path):
    edits = cli_edits(SEPARATED, tmp_path)
    inside = [k for k, char in enumerate(SEPARATED) if char in "\r\u2028\u2029\x85" and SEPARATED[k + 1] != "\n"]
    before = [e for e in edits if e.kind == "punctuation" and e.end in inside]
    assert not before, "the CLI adds no mark before these characters"
    assert any(e.kind == "punctuation" for e in edits) and any(e.kind == "hamza" for e in edits)
    client = await start_server(profile, tmp_path, {"device": "cpu"})
    try:
        uri = (tmp_path / "workspace" / "separators.txt").as_uri()
        open_document(client, uri, SEPARATED)
        params = await published(client, uri, 1)
        assert actual_diagnostics(params.diagnostics) == expected_diagnostics(SEPARATED, edits, client.encoding)
    finally:
        await stop_server(client)


TWO_READINGS = "قرأت الكتاب و أيض ا المقالة في المساء\nدرست اللغة العربية و خصوص ا القواعد\n"


async def fix_all(client, uri: str, text: str) -> list[types.CodeAction]:
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=position(text, 0, client.encoding), end=position(text, len(text), client.encoding)),
        context=types.CodeActionContext(diagnostics=[], only=[FIX_ALL_KIND])))
    return [a for a in actions or [] if a.kind == FIX_ALL_KIND]


@pytest.mark.parametrize("profile", PROFILES)
async def test_fix_all_applied_twice_changes_nothing_the_second_time(profile, tmp_path):
    client = await start_server(profile, tmp_path, {"device": "cpu", "debounceMs": 0})
    try:
        uri = (tmp_path / "workspace" / "twice.txt").as_uri()
        open_document(client, uri, TWO_READINGS)
        await published(client, uri, 1)
        (action,) = await fix_all(client, uri, TWO_READINGS)
        action = await resolved(client, action)
        fixed = apply_text_edits(TWO_READINGS, text_edits(action.edit, uri), client.encoding)
        assert "وأيضا" in fixed and "وخصوصا" in fixed
        change_document(client, uri, 2, TWO_READINGS, 0, len(TWO_READINGS), fixed)
        assert not (await published(client, uri, 2)).diagnostics
        assert await fix_all(client, uri, fixed) == []
    finally:
        await stop_server(client)


async def test_an_ignored_finding_stays_ignored_after_fix_all_changes_its_sentence(tmp_path):
    """Issue 14: 'ignore here' keys on the sentence, which fix-all changes: the ignored finding came back."""
    client = await start_server("neovim", tmp_path, {"device": "cpu", "debounceMs": 0})
    try:
        uri = (tmp_path / "workspace" / "ignored.txt").as_uri()
        text = "ذهب الولد الى المدرسه في الصباح\n"
        open_document(client, uri, text)
        params = await published(client, uri, 1)
        (school,) = [d for d in params.diagnostics if d.data["original"] == "المدرسه"]
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=school.range,
            context=types.CodeActionContext(diagnostics=[school])))
        (ignore,) = [a for a in actions if a.command is not None and a.command.command == "nahawi.ignore"]
        await command(client, ignore.command.command, *ignore.command.arguments)
        (action,) = await fix_all(client, uri, text)
        action = await resolved(client, action)
        fixed = apply_text_edits(text, text_edits(action.edit, uri), client.encoding)
        assert "إلى" in fixed and "المدرسه" in fixed
        change_document(client, uri, 2, text, 0, len(text), fixed)
        assert not (await published(client, uri, 2)).diagnostics
        assert await fix_all(client, uri, fixed) == []
    finally:
        await stop_server(client)


async def test_a_hamza_finding_offers_other_spellings_besides_the_engines(tmp_path):
    """Issue 14: one suggestion per finding; «ان» may be أن, إن or آن, and the lexicon knows all three."""
    client = await start_server("visual-studio-code", tmp_path, {"device": "cpu"})
    try:
        uri = (tmp_path / "workspace" / "spellings.txt").as_uri()
        text = "قال المدير ان الاجتماع سيعقد غدا\n"
        open_document(client, uri, text)
        params = await published(client, uri, 1)
        (finding,) = [d for d in params.diagnostics if d.data["original"] == "ان"]
        assert finding.data["replacement"] == "أن" and finding.code == "hamza"
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=finding.range,
            context=types.CodeActionContext(diagnostics=[finding])))
        fixes = [(a, text_edits(a.edit, uri)) for a in actions if a.edit is not None]
        spellings = [edits[0].new_text for _, edits in fixes if len(edits) == 1 and edits[0].range == finding.range]
        assert spellings[0] == "أن" and fixes[0][0].is_preferred  # the engine's choice comes first
        others = spellings[1:]
        assert 1 <= len(others) <= 2 and set(others) <= {"إن", "آن"} and len(set(others)) == len(others)
        start = text.index("ان ")
        assert all(apply_text_edits(text, edits, client.encoding) == text[:start] + edits[0].new_text
                   + text[start + 2:] for _, edits in fixes[1:len(spellings)])
    finally:
        await stop_server(client)


async def test_punctuation_turned_off_and_on_again_comes_back(tmp_path):
    """With the punctuation kind off the engine skips its punctuation model; turned on again, the paragraphs
    checked without it are checked again and their marks are shown."""
    from lsp_client import republished

    text = "قال المدير ان الاجتماع سيعقد غدا. اريد ان اتعلم اللغة العربية\n"
    kinds = ["hamza", "ta_marbuta", "alif_maqsura", "spacing"]
    client = await start_server("visual-studio-code", tmp_path, {"device": "cpu"},
                                configuration={"debounceMs": 0, "enabledKinds": kinds})
    try:
        uri = (tmp_path / "workspace" / "marks.txt").as_uri()
        open_document(client, uri, text)
        off = await published(client, uri, 1)
        assert off.diagnostics and not any(d.code == "punctuation" for d in off.diagnostics)
        count = len(client.published)
        client.set_configuration({"debounceMs": 0, "enabledKinds": [*kinds, "punctuation"]}, section="nahawi")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        on = await republished(client, uri, count)
        expected = [e for e in cli_edits(text, tmp_path) if e.kind in (*kinds, "punctuation")]
        assert any(e.kind == "punctuation" for e in expected)
        assert actual_diagnostics(on.diagnostics) == expected_diagnostics(text, expected, client.encoding)
    finally:
        await stop_server(client)


async def _before_and_after(tmp_path, name: str, text: str, setting: dict) -> tuple[list, list, str]:
    """The diagnostics the shipped model's server publishes for text, then again after the client's `nahawi`
    section turns `setting` on (the engine reloaded), and the position encoding they are in."""
    from lsp_client import republished

    client = await start_server("visual-studio-code", tmp_path, {"device": "cpu"}, configuration={"debounceMs": 0})
    try:
        uri = (tmp_path / "workspace" / name).as_uri()
        open_document(client, uri, text)
        before = await published(client, uri, 1)
        count = len(client.published)
        client.set_configuration({"debounceMs": 0, **setting}, section="nahawi")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        after = await republished(client, uri, count)
        return before.diagnostics, after.diagnostics, client.encoding
    finally:
        await stop_server(client)


async def test_latin_marks_setting_shows_what_the_cli_shows_with_latin_marks(tmp_path):
    """latinMarks reloads the engine: the writer's Latin commas are no longer findings, and the diagnostics are
    `nahawi correct --latin-marks`'s edits."""
    text = "كتبت الرسالة, ثم ذهبت الى البيت\nهل قرات الكتاب, الذي اعطيتك اياه ?\n"
    arabic, latin, encoding = await _before_and_after(tmp_path, "latin.txt", text, {"latinMarks": True})
    expected = cli_edits(text, tmp_path)
    assert sum(e.original in (",", "?") and e.kind == "punctuation" for e in expected) == 3
    assert actual_diagnostics(arabic) == expected_diagnostics(text, expected, encoding)
    expected = cli_edits(text, tmp_path, "--latin-marks")
    assert expected and not any(e.original in (",", "?") and e.kind == "punctuation" for e in expected)
    assert actual_diagnostics(latin) == expected_diagnostics(text, expected, encoding)


async def test_learner_setting_shows_the_seq2seq_corrections_the_cli_shows_with_learner(tmp_path):
    """learner reloads the engine with the shipped model's learner policy: the seq2seq runs and its edits on
    the words the corpus stages leave alone (a learner's «كانو» for «كانوا») join the diagnostics, which are
    `nahawi correct --learner`'s edits."""
    text = "الطلاب كانو في المدرسة و المسؤل عنهم غائب\n"
    native, learner, encoding = await _before_and_after(tmp_path, "learner.txt", text, {"learner": True})
    expected = cli_edits(text, tmp_path)
    assert not any(e.original == "كانو" for e in expected)
    assert actual_diagnostics(native) == expected_diagnostics(text, expected, encoding)
    expected = cli_edits(text, tmp_path, "--learner")
    assert any(e.original == "كانو" and e.replacement == "كانوا" and e.rule_id == "model" for e in expected)
    assert actual_diagnostics(learner) == expected_diagnostics(text, expected, encoding)
