"""A raw JSON-RPC client for the server over stdio or TCP: exact bytes out (malformed frames included),
frames in, parsed by a reader thread independent of the server's code. For what pytest-lsp's client
cannot send: broken headers, bodies that are not JSON, messages out of the lifecycle's order."""
from __future__ import annotations

import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60.0
_HEADER = re.compile(rb"Content-Length: (\d+)\r\n\r\n")


def frame(message: dict | str | bytes, length: int | None = None, separator: bytes = b"\r\n\r\n") -> bytes:
    body = message if isinstance(message, bytes) else (
        message if isinstance(message, str) else json.dumps(message, ensure_ascii=False)).encode()
    return b"Content-Length: %d" % (len(body) if length is None else length) + separator + body


def request(msg_id, method: str, params=None) -> dict:
    return {"jsonrpc": "2.0", "id": msg_id, "method": method, **({"params": params} if params is not None else {})}


def notification(method: str, params=None) -> dict:
    return {"jsonrpc": "2.0", "method": method, **({"params": params} if params is not None else {})}


def server_env(root: Path) -> dict:
    return {**{k: v for k, v in os.environ.items() if k != "NAHAWI_PROFILE"}, "OMP_NUM_THREADS": "1",
            "NAHAWI_THREADS": "1", "PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_DATA_HOME": str(root / "data")}


class RawClient:
    """Frames read from `stream` (a binary file) on a thread; `send` writes bytes with `write`."""

    def __init__(self, stream, write, process: subprocess.Popen | None = None):
        self.process, self.write = process, write
        self.messages: queue.Queue = queue.Queue()
        self.seen: list[dict] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    @classmethod
    def stdio(cls, root: Path, *args: str) -> RawClient:
        root.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen([sys.executable, "-m", "lsp_server.main", *args], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=server_env(root))

        def write(data: bytes) -> None:
            process.stdin.write(data)
            process.stdin.flush()

        return cls(process.stdout, write, process)

    @classmethod
    def tcp(cls, port: int, process: subprocess.Popen | None = None) -> RawClient:
        sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
        sock.settimeout(None)
        client = cls(sock.makefile("rb"), sock.sendall, process)
        client.socket = sock
        return client

    def _read(self, stream) -> None:
        buffer = b""
        while True:
            match = _HEADER.search(buffer)
            if match is not None and len(buffer) >= match.end() + int(match.group(1)):
                end = match.end() + int(match.group(1))
                self.messages.put(json.loads(buffer[match.end():end]))
                buffer = buffer[end:]
                continue
            try:
                chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
            except (OSError, ValueError):
                chunk = b""
            if not chunk:
                self.messages.put(None)
                return
            buffer += chunk

    def send(self, data: bytes | dict) -> None:
        self.write(data if isinstance(data, bytes) else frame(data))

    def next_message(self, timeout: float = TIMEOUT_S) -> dict | None:
        message = self.messages.get(timeout=timeout)
        if message is not None:
            self.seen.append(message)
        return message

    def reply(self, msg_id, timeout: float = TIMEOUT_S) -> dict:
        """The response to msg_id, answering the server's own requests (configuration, progress) on the way."""
        for message in self.seen:
            if message.get("id") == msg_id and "method" not in message:
                return message
        while True:
            message = self.next_message(timeout)
            if message is None:
                raise AssertionError(f"the server closed the stream before answering {msg_id!r}")
            if "method" in message and "id" in message:
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": self._answer(message)})
            elif message.get("id") == msg_id:
                return message

    @staticmethod
    def _answer(message: dict):
        if message["method"] == "workspace/configuration":
            return [None for _ in message["params"]["items"]]
        return None

    def initialize(self, options: dict | None = None, msg_id=0, capabilities: dict | None = None) -> dict:
        self.send(request(msg_id, "initialize", {"processId": None, "rootUri": None,
                                                 "capabilities": capabilities or {},
                                                 "initializationOptions": options}))
        result = self.reply(msg_id)
        self.send(notification("initialized", {}))
        return result

    def wait_exit(self, timeout: float = TIMEOUT_S) -> int:
        return self.process.wait(timeout=timeout)
