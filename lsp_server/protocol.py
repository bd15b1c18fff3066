"""The JSON-RPC side of the server, to the letter: lifecycle, errors, and what is written to the client.

Owns what pygls leaves loose. Before `initialize` a request gets `-32002` ServerNotInitialized and a
notification is dropped; a second `initialize` and any request after `shutdown` get `-32600` Invalid
Request; `exit` ends the process at once with 0 after `shutdown` and 1 without (so does the end of the
input). A request whose params cannot be read gets `-32602` Invalid Params (pygls only logs it and the
client would wait forever); a `didChange` with negative positions is read with them clamped to 0, with a
warning, instead of being dropped (the server's copy of the text would silently diverge). Errors answered
to the client are logged without traceback and without their text below DEBUG (it may quote the
document). Messages go out as UTF-8 JSON (not \\u escapes: a third of the bytes for Arabic), and
`send_raw` writes a body built elsewhere (the diagnostics' fast path). Document changes go to our handler
untouched: the server keeps each document's text itself. Knows nothing of documents or engines.
"""
from __future__ import annotations

import json
import logging
from concurrent.futures import Future
from typing import Any

from cattrs.errors import ClassValidationError
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcRequestCancelled
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage
from pygls.protocol.language_server import lsp_method

from lsp_server.transport import INVALID_REQUEST, Connection, encode_frame, error_reply, exit_process

log = logging.getLogger("nahawi.lsp")

INVALID_PARAMS, SERVER_NOT_INITIALIZED = -32602, -32002


class _Writer:
    """pygls's writer interface over the transport's write function."""

    def __init__(self, write, flush=None):
        self.write, self.flush = write, flush or (lambda: None)

    def close(self) -> None:
        self.flush()


class NahawiProtocol(LanguageServerProtocol):
    def __init__(self, server, converter):
        super().__init__(server, converter)
        self.initialize_seen = False
        self.clamped_warning = False

    # -- transport ------------------------------------------------------------------------------------

    def connection(self, write, flush=None) -> Connection:
        """The transport's connection, writing through write."""
        self.set_writer(_Writer(write, flush))
        return Connection(self.handle_raw, write)

    def end_of_input(self) -> None:
        log.info("the client closed the input")
        self.exit_now()

    def exit_now(self) -> None:
        exit_process(0 if self._shutdown else 1, getattr(self.writer, "flush", None))

    def _send_data(self, data: Any) -> None:
        if not data or self.writer is None:
            return
        self.send_raw(json.dumps(data, default=self._serialize_message, ensure_ascii=False))

    def send_raw(self, body: str) -> None:
        if self.writer is None:
            return
        if log.isEnabledFor(logging.DEBUG):
            log.debug("sending %s", body[:2000])
        try:
            self.writer.write(encode_frame(body))
        except (BrokenPipeError, ConnectionError):
            log.error("the connection to the client is lost; exiting")
            exit_process(1)

    def _reply_error(self, msg_id: Any, code: int, message: str) -> None:
        self.writer.write(encode_frame(error_reply(msg_id, code, message)))

    # -- lifecycle ------------------------------------------------------------------------------------

    def handle_raw(self, message: dict) -> None:
        """One JSON-RPC message from the client (already checked to be one)."""
        method, is_request = message.get("method"), "id" in message and "method" in message
        if method == types.EXIT:
            self.exit_now()
        if method is not None and not self._allowed(message["id"] if is_request else None, method, is_request):
            return
        if method == types.INITIALIZE:
            self.initialize_seen = True
        try:
            structured = self.structure_message(message)
        except JsonRpcException as error:
            self._unreadable(message, error)
            return
        self.handle_message(structured)

    def _allowed(self, msg_id: Any, method: str, is_request: bool) -> bool:
        if self._shutdown:
            if is_request:
                self._reply_error(msg_id, INVALID_REQUEST, f"the server is shut down; {method} refused")
            return False
        if not self.initialize_seen and method != types.INITIALIZE:
            if is_request:
                self._reply_error(msg_id, SERVER_NOT_INITIALIZED, f"{method} before initialize")
            return False
        if self.initialize_seen and method == types.INITIALIZE:
            self._reply_error(msg_id, INVALID_REQUEST, "initialize was already received")
            return False
        return True

    def _unreadable(self, message: dict, error: JsonRpcException) -> None:
        method = message.get("method")
        cause = error.__cause__
        log.info("unreadable params for %s (%s)", method, type(cause).__name__ if cause else error)
        log.debug("%s: %s", method, cause)
        if method == types.TEXT_DOCUMENT_DID_CHANGE and (clamped := _clamped_change(message)) is not None:
            if not self.clamped_warning:
                self.clamped_warning = True
                log.warning("a didChange had negative positions; they were read as 0")
            try:
                self.handle_message(self.structure_message(clamped))
                return
            except JsonRpcException:
                pass
        if "id" in message and method is not None:
            self._reply_error(message["id"], INVALID_PARAMS, f"invalid params for {method}")
        elif method == types.TEXT_DOCUMENT_DID_CHANGE:
            log.warning("an unreadable didChange was dropped; the document may be out of sync")

    def structure_message(self, data: dict[str, Any]):
        """pygls's, without its traceback at ERROR for a client's malformed message."""
        if "jsonrpc" not in data:
            return data
        try:
            if "id" in data and "error" in data:
                return self._converter.structure(data, types.ResponseErrorMessage)
            if "id" in data and "method" in data:
                return self._converter.structure(data, self.get_message_type(data["method"]) or JsonRPCRequestMessage)
            if "id" in data:
                kind = self._result_types.pop(data["id"], None) or JsonRPCResponseMessage
                return self._converter.structure(data, kind)
            return self._converter.structure(data, self.get_message_type(data.get("method", ""))
                                             or JsonRPCNotification)
        except (ClassValidationError, ValueError, TypeError, KeyError, AttributeError) as error:
            raise JsonRpcException(f"invalid params for {data.get('method')}") from error

    def _send_handler_result(self, future: Future[Any], *, msg_id) -> None:
        """pygls's, except that an error answered to the client is logged without traceback or text."""
        self._request_futures.pop(msg_id, None)
        if future.cancelled():
            self._send_response(msg_id, error=JsonRpcRequestCancelled(f"request {msg_id} cancelled")
                                .to_response_error())
            return
        error = future.exception()
        if error is None:
            self._send_response(msg_id, result=future.result())
        elif isinstance(error, JsonRpcException):
            log.info("request %s answered with error %s", msg_id, error.code)
            log.debug("request %s: %s", msg_id, error)
            self._send_response(msg_id, error=error.to_response_error())
        else:
            log.error("request %s failed", msg_id, exc_info=error)
            reply = JsonRpcInternalError(f"internal error: {type(error).__name__}")
            self._send_response(msg_id, error=reply.to_response_error())
            self._server.report_server_error(error, type(error))

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None


def _clamped_change(message: dict) -> dict | None:
    """message (a didChange) with negative line/character values set to 0; None when it has none."""
    changes = (message.get("params") or {}).get("contentChanges") if isinstance(message.get("params"), dict) else None
    if not isinstance(changes, list):
        return None
    clamped = json.loads(json.dumps(message))
    found = False
    for change in clamped["params"]["contentChanges"]:
        for end in ("start", "end"):
            position = change.get("range", {}).get(end) if isinstance(change, dict) else None
            for key in ("line", "character"):
                if isinstance(position, dict) and isinstance(position.get(key), int) and position[key] < 0:
                    position[key], found = 0, True
    return clamped if found else None
