"""The server shows what `nahawi correct` prints, on the shipped model (which has the punctuation stage):
paragraphs are cut where the CLI cuts a file, at \\n only. A lone \\r, U+2028, U+2029 or U+0085 stays inside
its paragraph, so no «.» is added before it (issue 14: the server cut there and added one).
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from lsp_client import actual_diagnostics, expected_diagnostics, open_document, published, start_server, stop_server
from typer.testing import CliRunner

from nahawi.cli import app

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Two sentences joined by each character the CLI does not cut a file at; a CRLF line; two sentences on a line.
SEPARATED = ("ذهب الولد الى المدرسه\rو كتب الدرس في البيت\n"
             "ذهب الولد الى المدرسه\u2028و كتب الدرس في البيت\r\n"
             "ذهب الولد الى المدرسه\u2029و كتب الدرس في البيت\n"
             "ذهب الولد الى المدرسه\x85و كتب الدرس في البيت\n"
             "\n"
             "قال المدير ان الاجتماع سيعقد غدا. اريد ان اتعلم اللغة العربية\n")


def cli_edits(text: str, tmp_path) -> list:
    """The edits `nahawi correct --format json` prints for text, in offsets of the whole text."""
    source = tmp_path / "input.txt"
    source.write_bytes(text.encode("utf-8"))
    result = CliRunner().invoke(app, ["correct", str(source), "--format", "json", "--device", "cpu"])
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


@pytest.mark.parametrize("profile", ["visual-studio-code", "neovim"])
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
