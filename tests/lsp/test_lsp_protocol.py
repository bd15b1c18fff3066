"""The base protocol and the lifecycle to the letter, over stdio and TCP with a raw client (issue 14):
the server recovers from bad frames, answers malformed JSON with -32700, refuses requests before
`initialize` (-32002) and after `shutdown` (-32600), exits with 1 on `exit` without `shutdown` (at once,
even while the model loads), serves one TCP client, and logs neither tracebacks nor the user's words for
a client's bad request."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

from raw_client import REPO, RawClient, frame, notification, request, server_env

STATS = {"command": "nahawi.stats", "arguments": []}


def no_model(tmp_path) -> dict:
    return {"modelDir": str(tmp_path / "no-model")}


def stop(client: RawClient) -> int:
    client.send(request("bye", "shutdown"))
    assert client.reply("bye")["result"] is None
    client.send(notification("exit"))
    return client.wait_exit()


def test_bad_frames_do_not_make_the_server_deaf(tmp_path):
    """A Content-Length counted in characters, a header without \\r, stray bytes and bodies that are not
    JSON: each is skipped (with -32700 for a body that is not JSON) and the next frame is answered."""
    client = RawClient.stdio(tmp_path)
    client.initialize(no_model(tmp_path))
    arabic = json.dumps(request(1, "workspace/executeCommand", {**STATS, "arguments": ["مرحبا بالعالم"]}),
                        ensure_ascii=False)
    client.send(frame(arabic, length=len(arabic)))  # characters, not bytes
    client.send(frame(request(2, "workspace/executeCommand", STATS)))
    assert "version" in client.reply(2)["result"]
    client.send(frame(request(3, "workspace/executeCommand", STATS), separator=b"\n\n"))
    assert "version" in client.reply(3)["result"]
    client.send(b"abc")
    client.send(frame(request(4, "workspace/executeCommand", STATS)))
    assert "version" in client.reply(4)["result"]
    client.send(frame("{not json"))
    client.send(frame(request(5, "workspace/executeCommand", STATS)))
    assert "version" in client.reply(5)["result"]
    parse_errors = [m for m in client.seen if m.get("error", {}).get("code") == -32700]
    assert len(parse_errors) == 2 and all(m["id"] is None for m in parse_errors)
    client.send(frame("[1, 2]"))
    client.send(frame(request(6, "workspace/executeCommand", STATS)))
    assert "version" in client.reply(6)["result"]
    assert any(m.get("error", {}).get("code") == -32600 and m["id"] is None for m in client.seen)
    assert stop(client) == 0


def test_lifecycle_before_initialize_and_after_shutdown(tmp_path):
    client = RawClient.stdio(tmp_path)
    client.send(request(1, "workspace/executeCommand", STATS))
    assert client.reply(1)["error"]["code"] == -32002
    client.initialize(no_model(tmp_path))
    client.send(request(2, "initialize", {"processId": None, "rootUri": None, "capabilities": {}}))
    assert client.reply(2)["error"]["code"] == -32600
    client.send(request(3, "shutdown"))
    assert client.reply(3)["result"] is None
    client.send(request(4, "workspace/executeCommand", STATS))
    assert client.reply(4)["error"]["code"] == -32600
    client.send(notification("exit"))
    assert client.wait_exit() == 0


def test_exit_without_shutdown_exits_1_at_once_while_the_model_loads(tmp_path):
    log = tmp_path / "server.log"
    client = RawClient.stdio(tmp_path, "--log-file", str(log), "--log-level", "INFO")
    client.initialize(None)  # the default model: seconds to load
    client.send(notification("exit"))
    assert client.wait_exit() == 1
    assert "model loaded" not in log.read_text(encoding="utf-8")  # exit did not wait for the load


def test_a_clients_bad_request_logs_no_traceback_and_no_words(tmp_path):
    log = tmp_path / "server.log"
    client = RawClient.stdio(tmp_path, "--log-file", str(log), "--log-level", "INFO")
    client.initialize(no_model(tmp_path))
    for msg_id, (name, arguments) in enumerate((("nahawi.addToDictionary", ["كلمتان اثنتان"]),
                                                ("nahawi.disableKind", [[]]), ("nahawi.ignore", ["سطر"]),
                                                ("nahawi.adapt", ["/لا/يوجد.txt"]),
                                                ("nahawi.accepted", ["file:///نص.txt", {"text": "سطر"}])), 1):
        client.send(request(msg_id, "workspace/executeCommand", {"command": name, "arguments": arguments}))
        assert client.reply(msg_id)["error"]["code"] == -32602, name
    client.send(request(9, "textDocument/codeAction", {"textDocument": {"uri": "file:///نص.txt"}}))
    assert client.reply(9)["error"]["code"] == -32602
    assert stop(client) == 0
    written = log.read_text(encoding="utf-8")
    assert "Traceback" not in written
    assert not [word for word in ("كلمتان", "اثنتان", "سطر", "نص", "يوجد") if word in written]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _connect(port: int, process: subprocess.Popen) -> RawClient:
    deadline = time.monotonic() + 60
    while True:
        try:
            return RawClient.tcp(port, process)
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise
            time.sleep(0.05)


def test_tcp_serves_one_client_and_exits_cleanly(tmp_path):
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "lsp_server.main", "--tcp", "0.0.0.0", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=server_env(tmp_path), cwd=REPO)
    first = _connect(port, process)
    first.initialize(no_model(tmp_path))
    second = RawClient.tcp(port)
    second.send(request(1, "initialize", {"processId": None, "rootUri": None, "capabilities": {}}))
    assert second.next_message() is None  # refused: the connection is closed without an answer
    first.send(request(2, "workspace/executeCommand", STATS))
    assert "version" in first.reply(2)["result"]
    assert stop(first) == 0
    stderr = process.stderr.read().decode()
    assert "Traceback" not in stderr
    assert "not a loopback address" in stderr and "refused a second connection" in stderr


def test_settings_that_would_check_nothing_are_refused_with_one_message(tmp_path):
    """Issue 14: `debounceMs` of 10^20 (edits never re-checked) and `languages: []` (nothing checked) were
    accepted silently; they fall back to their defaults, named in the one settings message."""
    client = RawClient.stdio(tmp_path)
    client.initialize({**no_model(tmp_path), "debounceMs": 10**20, "languages": []})
    while not any(m.get("method") == "window/showMessage" and m["params"]["type"] == 1 for m in client.seen):
        client.next_message()  # the model's error comes after the settings' warning
    client.send(request(1, "workspace/executeCommand", STATS))
    settings = client.reply(1)["result"]["settings"]
    assert (settings["debounceMs"], settings["languages"]) == (300, ["plaintext", "text", "markdown"])
    warnings = [m["params"]["message"] for m in client.seen
                if m.get("method") == "window/showMessage" and m["params"]["type"] == 2]
    assert len(warnings) == 1 and "nahawi.debounceMs" in warnings[0] and "nahawi.languages" in warnings[0]
    assert stop(client) == 0


def test_the_dictionary_refuses_control_characters_and_huge_words(tmp_path):
    """Issue 14: NUL, bidi overrides and a 400 KB "word" were written to the user's dictionary."""
    client = RawClient.stdio(tmp_path)
    client.initialize(no_model(tmp_path))
    for msg_id, word in enumerate(("كلمة\x00", "\u202eكلمة", "ك" * 400_000, "كل\u2066مة"), 1):
        client.send(request(msg_id, "workspace/executeCommand", {"command": "nahawi.addToDictionary",
                                                                 "arguments": [word]}))
        assert client.reply(msg_id)["error"]["code"] == -32602
    client.send(request(9, "workspace/executeCommand", {"command": "nahawi.addToDictionary", "arguments": ["نحوي"]}))
    assert client.reply(9)["result"]["added"] is True
    assert (tmp_path / "data" / "nahawi" / "profile" / "dictionary.txt").read_text(encoding="utf-8") == "نحوي\n"
    assert stop(client) == 0
