"""One dictionary for the app, the language server and the CLI (issue 17): the profile's. The server runs
as a real subprocess over stdio; the app's side is its real SettingsStore."""
import dataclasses
import json
import sys
from pathlib import Path

import pytest

from nahawi.profile import Profile

pytest.importorskip("pygls", reason="the language server needs the 'lsp' extra")
pytest.importorskip("PySide6", reason="the editor needs the 'app' extra")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lsp"))  # the raw stdio client of tests/lsp

from raw_client import RawClient, notification, request

TEXT = "هذه المسالة مهمة جدا لجميع الطلاب والمعلمين\n"


def _diagnostics(client: RawClient, uri: str) -> list[dict]:
    while True:
        message = client.next_message()
        assert message is not None, "the server closed the stream"
        if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
            return message["params"]["diagnostics"]
        if "method" in message and "id" in message:
            client.send({"jsonrpc": "2.0", "id": message["id"], "result": None})


def _flagged(diagnostics: list[dict]) -> set[str]:
    return {d["data"]["original"] for d in diagnostics}


def test_a_word_added_in_the_app_is_known_to_the_server_and_back(trained_model_dir, tmp_path):
    from nahawi_app.settings import SettingsStore

    profile = Profile(tmp_path / "data" / "nahawi" / "profile")  # the server's: XDG_DATA_HOME is tmp_path/data
    store = SettingsStore(tmp_path / "settings.ini", profile=profile)
    client = RawClient.stdio(tmp_path)
    try:
        client.initialize({"modelDir": str(trained_model_dir)})
        uri = (tmp_path / "essay.txt").as_uri()
        client.send(notification("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "plaintext", "version": 1, "text": TEXT}}))
        assert "المسالة" in _flagged(_diagnostics(client, uri))
        settings = store.load()
        store.save(dataclasses.replace(settings, dictionary=(*settings.dictionary, "المسالة")))
        client.send(notification("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                            "contentChanges": [{"text": TEXT + "\n"}]}))
        assert "المسالة" not in _flagged(_diagnostics(client, uri))
        client.send(request(7, "workspace/executeCommand", {"command": "nahawi.addToDictionary",
                                                            "arguments": ["شمهروش"]}))
        assert client.reply(7)["result"]["path"] == str(profile.file("dictionary.txt"))
    finally:
        client.send(request("bye", "shutdown"))
        client.reply("bye")
        client.send(notification("exit"))
        assert client.wait_exit() == 0
    assert store.load().dictionary == ("المسالة", "شمهروش")
    assert profile.dictionary().words == ("المسالة", "شمهروش")


def test_words_of_earlier_releases_move_into_the_profile(tmp_path, monkeypatch):
    """The server kept words in $XDG_CONFIG_HOME/nahawi/dictionary.txt and the app in its QSettings file;
    both are moved into the profile once, so neither loses a word."""
    from lsp_server.dictionary import Dictionary, user_dictionary_path
    from nahawi_app.settings import SettingsStore

    monkeypatch.delenv("NAHAWI_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "config" / "nahawi").mkdir(parents=True)
    (tmp_path / "config" / "nahawi" / "dictionary.txt").write_text("نحوي\n", encoding="utf-8")
    (tmp_path / "settings.ini").write_text("[dictionary]\nwords=مصطفي\n", encoding="utf-8")
    dictionary = Dictionary(user_dictionary_path(), private=True)
    assert dictionary.load() == [] and "نحوي" in dictionary
    store = SettingsStore(tmp_path / "settings.ini", profile=Profile())
    assert store.load().dictionary == ("نحوي", "مصطفي")
    assert "dictionary" not in (tmp_path / "settings.ini").read_text(encoding="utf-8")
    assert Profile().dictionary().words == ("نحوي", "مصطفي")


def test_the_cli_honours_the_shared_dictionary(tmp_path):
    from typer.testing import CliRunner

    from nahawi.cli import app

    Profile(tmp_path).add_word("المدرسه")
    result = CliRunner().invoke(app, ["correct", "--profile", str(tmp_path), "--format", "json"],
                                input="ذهب الولد الى المدرسه\n")
    assert result.exit_code == 0, result.output
    assert [e["original"] for e in json.loads(result.output)["edits"]] == ["الى", ""]
