"""The server's byte streams: LSP frames in (stdio or one TCP client), frames out, and the process's end.

Owns the base protocol's framing (`Content-Length: N` header lines ended by an empty line, then N bytes of
UTF-8 JSON) and recovering from a bad frame: a Content-Length counted in characters, a header line without
`\\r`, stray bytes (`abc`) or a body that is not JSON never make the server deaf. The reader looks for the
next `Content-Length:` header wherever it is (after the rest of a frame that was cut short, or inside a
body whose length was overstated) and carries on; a body that is not JSON gets a `-32700` Parse error and
one that is not a JSON-RPC message a `-32600` Invalid Request, as JSON-RPC 2.0 asks. Also owns serving:
stdin through a reader thread (the event loop never blocks on it), or one TCP client at a time (a second
connection is refused; a host other than loopback is warned about), and exiting with `os._exit` once the
output is flushed, so that `exit` is immediate even while the model loads on the engine thread. Knows
nothing of LSP methods: messages go to the protocol's `handle_raw`.
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("nahawi.lsp")

_HEADER = re.compile(rb"Content-Length[ \t]*:[ \t]*(\d{1,12})[ \t]*\r?\n", re.IGNORECASE)
_OTHER_HEADER = re.compile(rb"[A-Za-z][A-Za-z0-9-]*[ \t]*:[^\r\n]*\r?\n")
_END_OF_HEADERS = re.compile(rb"\r?\n")
MAX_BODY = 1 << 30  # a Content-Length above this is a broken frame, not a message
PARSE_ERROR, INVALID_REQUEST = -32700, -32600


@dataclass(frozen=True)
class Frame:
    """One frame's body, or, with `bad` set, why bytes were dropped (body holds the bytes skipped)."""
    body: bytes
    bad: str = ""


class FrameReader:
    """Incremental LSP frame parser: `feed(data)` returns the complete frames so far. Headers other than
    Content-Length are skipped; `\\n` alone ends a header line as well as `\\r\\n`."""

    def __init__(self):
        self.buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        self.buffer += data
        frames = []
        while (frame := self._next()) is not None:
            frames.append(frame)
        return frames

    def _next(self) -> Frame | None:
        match = _HEADER.search(self.buffer)
        if match is None:
            return self._drop_garbage()
        if match.start() > 0:
            skipped = bytes(self.buffer[:match.start()])
            del self.buffer[:match.start()]
            if skipped.strip():
                return Frame(skipped, "bytes before a Content-Length header")
            return self._next()
        length, position = int(match.group(1)), match.end()
        while True:  # the other header lines, then the empty line
            end = _END_OF_HEADERS.match(self.buffer, position)
            if end is not None:
                position = end.end()
                break
            other = _OTHER_HEADER.match(self.buffer, position)
            if other is None:
                if b"\n" not in self.buffer[position:]:
                    return None  # the header is still arriving
                del self.buffer[:position]
                return Frame(b"", "a malformed header")
            position = other.end()
        if length > MAX_BODY:
            del self.buffer[:position]
            return Frame(b"", f"Content-Length {length} too large")
        if len(self.buffer) < position + length:
            return None
        body = bytes(self.buffer[position:position + length])
        del self.buffer[:position + length]
        return Frame(body)

    def _drop_garbage(self) -> Frame | None:
        """Without a header in sight, keep only what may be the start of one."""
        keep = self.buffer.rfind(b"\n") + 1
        if keep == 0 and len(self.buffer) < 64:
            return None
        if keep == 0:
            keep = len(self.buffer) - 32
        skipped = bytes(self.buffer[:keep])
        del self.buffer[:keep]
        return Frame(skipped, "bytes without a Content-Length header") if skipped.strip() else None

    def push_back(self, data: bytes) -> None:
        """Put bytes back in front of the buffer (the rest of a body whose length was overstated)."""
        self.buffer[:0] = data


def encode_frame(body: str) -> bytes:
    """A frame for a JSON body; a lone surrogate (from a client's own text) goes out as a \\u escape, since
    it has no UTF-8 form."""
    try:
        data = body.encode("utf-8")
    except UnicodeEncodeError:
        data = json.dumps(json.loads(body)).encode("ascii")
    return b"Content-Length: %d\r\n\r\n" % len(data) + data


def error_reply(msg_id: Any, code: int, message: str) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})


class Connection:
    """Turns frames into messages for `handle` (a parsed JSON object), answering the ones that are not."""

    def __init__(self, handle: Callable[[dict], None], write: Callable[[bytes], None]):
        self.reader, self.handle, self.write = FrameReader(), handle, write

    def receive(self, data: bytes) -> None:
        for frame in self.reader.feed(data):
            if frame.bad:
                log.warning("LSP input: skipped %d bytes (%s)", len(frame.body), frame.bad)
                continue
            self._dispatch(frame.body)

    def _dispatch(self, body: bytes) -> None:
        try:
            message = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            log.warning("LSP input: a body of %d bytes is not JSON (%s)", len(body), type(error).__name__)
            log.debug("the body: %r", body)
            self.write(encode_frame(error_reply(None, PARSE_ERROR, "Parse error: the body is not JSON")))
            resync = _HEADER.search(body)
            if resync is not None:  # the Content-Length overstated the body: the next frame is inside
                self.reader.push_back(body[resync.start():])
                self.receive(b"")
            return
        if not _is_message(message):
            msg_id = message.get("id") if isinstance(message, dict) else None
            self.write(encode_frame(error_reply(msg_id if isinstance(msg_id, (int, str)) else None,
                                                INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 message")))
            return
        self.handle(message)


def _is_message(message: Any) -> bool:
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return False
    if "method" in message:
        return isinstance(message["method"], str) and isinstance(message.get("id", 0), (int, str))
    return "id" in message and ("result" in message or "error" in message)


def exit_process(code: int, flush: Callable[[], None] | None = None) -> None:
    """End the process now: flush the output and the log, then os._exit (the engine thread may be busy
    loading a model for seconds; a normal exit would wait for it)."""
    try:
        if flush is not None:
            flush()
        logging.shutdown()
    finally:
        os._exit(code)


class StdioWriter:
    def __init__(self, stream=None):
        self.stream = stream or sys.stdout.buffer
        self.lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self.lock:
            self.stream.write(data)
            self.stream.flush()

    def flush(self) -> None:
        with self.lock:
            self.stream.flush()


async def serve_stdio(connection_for: Callable[[Callable[[bytes], None]], Connection],
                      on_end: Callable[[], None], stdin=None, stdout=None) -> None:
    """Read stdin on a daemon thread, feeding the event loop; on_end() when the input ends."""
    loop = asyncio.get_running_loop()
    writer = StdioWriter(stdout)
    connection = connection_for(writer.write)
    fd = (stdin or sys.stdin.buffer).fileno()
    done = asyncio.Event()

    def pump() -> None:
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                loop.call_soon_threadsafe(done.set)
                return
            loop.call_soon_threadsafe(connection.receive, chunk)

    threading.Thread(target=pump, name="nahawi-stdin", daemon=True).start()
    await done.wait()
    await asyncio.sleep(0)  # let the last chunks be handled
    on_end()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def serve_tcp(host: str, port: int, connection_for: Callable[[Callable[[bytes], None]], Connection],
                    on_end: Callable[[], None], on_listening: Callable[[int], Awaitable[None] | None] | None = None,
                    ) -> None:
    """Serve the first client that connects; refuse any other; on_end() when that client goes away."""
    if not is_loopback(host):
        log.warning("listening on %s, which is not a loopback address: anyone who can reach it can read "
                    "the documents sent to this server", host)
    served = asyncio.Event()
    ended = asyncio.Event()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if served.is_set():
            log.warning("refused a second connection from %s: this server serves one client",
                        writer.get_extra_info("peername"))
            writer.close()
            return
        served.set()

        def write(data: bytes) -> None:
            writer.write(data)

        connection = connection_for(write)
        try:
            while chunk := await reader.read(1 << 16):
                connection.receive(chunk)
        except (ConnectionError, OSError):
            pass
        ended.set()

    server = await asyncio.start_server(client, host, port)
    if on_listening is not None:
        result = on_listening(server.sockets[0].getsockname()[1])
        if asyncio.iscoroutine(result):
            await result
    await ended.wait()
    on_end()
