"""Connections kept open between calls, as AWS endpoints keep them.

SDKs hold a pool of connections per client and send call after call on them. werkzeug's
development server answers every request with `Connection: close` (Python's `http.server` cannot
tell where an unread request body ends), so each emulated call paid for a new TCP connection on
the client and a new thread on the server: a third of a call's CPU, on both sides, that AWS never
costs. This handler reads each request body to its declared end, answers with a `Content-Length`,
and keeps the connection for the next request unless the client asked to close it. Connections
still open when the emulator stops are shut, so no pooled connection reaches a stopped emulator.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import traceback
from collections.abc import Callable
from http import HTTPStatus
from typing import IO, Any, cast

from moto.moto_server.werkzeug_app import MotoRequestHandler

from local.emulator import lean_http
from local.emulator.wsgi import run_app

#: An idle connection is closed after this long (botocore reconnects when it finds one closed).
IDLE_TIMEOUT_S = 60.0
_NO_BODY_STATUSES = frozenset({HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED})
_REQUEST_LOG = logging.getLogger("werkzeug")


class OpenConnections:
    """The server's open client connections, so that stopping the server can close them."""

    def __init__(self) -> None:
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def add(self, connection: socket.socket) -> None:
        with self._lock:
            self._sockets.add(connection)

    def discard(self, connection: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(connection)

    def close_all(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for connection in sockets:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)  # the handler's next read ends its loop


class _BodyReader:
    """The request body as the app sees it, counting what the app read so the rest can be skipped."""

    def __init__(self, stream: IO[bytes], length: int | None) -> None:
        self._stream = stream
        self._left = length  # None: the stream ends the body itself (dechunked)

    def read(self, size: int | None = -1) -> bytes:
        return self._take(self._stream.read, size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._take(self._stream.readline, size)

    def _take(self, reader: Callable[[int], bytes], size: int | None) -> bytes:
        wanted = -1 if size is None else size
        if self._left is not None:
            wanted = self._left if wanted < 0 else min(wanted, self._left)
        data = reader(wanted)
        if self._left is not None:
            self._left -= len(data)
        return data

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def skip_rest(self) -> None:
        while self.read(65536):
            pass


class KeepAliveRequestHandler(MotoRequestHandler):
    """moto's request handler, answering on a connection that stays open for the next request."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_S  # applied to the socket by `StreamRequestHandler.setup`

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connections = getattr(self.server, "open_connections", None)
        if connections is not None:
            connections.add(self.connection)

    def finish(self) -> None:
        connections = getattr(self.server, "open_connections", None)
        if connections is not None:
            connections.discard(self.connection)
        super().finish()

    def parse_request(self) -> bool:
        # The lean reading (see `lean_http`) for the heads SDKs send; the standard one for the rest.
        line = lean_http.simple_request_line(self.raw_requestline)
        if line is None:
            self._lean = False
            return bool(super().parse_request())
        self.command, self.path, self.request_version = line
        self.requestline = " ".join(line)
        self.close_connection = True
        try:
            self.headers = lean_http.Headers(lean_http.read_headers(self.rfile))  # type: ignore[assignment]
        except lean_http.HeadError as error:
            self.send_error(error.status, error.message)
            return False
        self.close_connection = not lean_http.keeps_open(self.request_version, self.headers)  # type: ignore[arg-type]
        self._lean = lean_http.plain_headers(self.headers)  # type: ignore[arg-type]
        return True

    def make_environ(self) -> dict[str, Any]:
        if not getattr(self, "_lean", False):
            return cast(dict[str, Any], super().make_environ())
        return lean_http.environ_for(
            self.command,
            self.path,
            self.request_version,
            self.headers,  # type: ignore[arg-type]
            self.rfile,
            self.server.server_address,  # type: ignore[arg-type]
            self.client_address,
            self.server_version,
            self.connection,
        )

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # werkzeug formats every request's line before its logger drops it; skip that when it would.
        if _REQUEST_LOG.isEnabledFor(logging.INFO):
            super().log_request(code, size)

    def log_error(self, format: str, *args: Any) -> None:
        # An idle connection timing out is how keep-alive ends, not an error worth a line.
        if not format.startswith("Request timed out"):
            super().log_error(format, *args)

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        length = environ.get("CONTENT_LENGTH")
        chunked = environ.get("wsgi.input_terminated", False)
        body = _BodyReader(
            environ["wsgi.input"], None if chunked else int(length) if length and length.isdigit() else 0
        )
        environ["wsgi.input"] = body
        try:
            status, headers, payload = run_app(self.server.app, environ)
        except Exception:  # the app failed: answer 500 and close, as werkzeug does
            self.log_error("Error on request:\n%s", traceback.format_exc())
            self.close_connection = True
            status, headers, payload = "500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")], b""
        try:
            body.skip_rest()
        except OSError:
            self.close_connection = True
        self._send(status, headers, payload, head=environ["REQUEST_METHOD"] == "HEAD")

    def _send(self, status: str, headers: list[tuple[str, str]], payload: bytes, head: bool) -> None:
        code = int(status.partition(" ")[0])
        # The connection's framing is this handler's to say.
        kept = [
            (name, value)
            for name, value in headers
            if name.lower() not in ("connection", "transfer-encoding")
        ]
        has_body = not (100 <= code < 200 or code in _NO_BODY_STATUSES)
        framing = []
        if has_body and all(name.lower() != "content-length" for name, _ in kept):
            framing.append(("Content-Length", str(len(payload))))
        framing.append(("Connection", "close" if self.close_connection else "keep-alive"))
        self.log_request(code)
        answer = lean_http.answer_head(self.protocol_version, status, kept, self.version_string(), framing)
        # Head and body in one write: two small writes on an open connection wait on the client's
        # delayed acknowledgement (Nagle), up to 40 ms an answer.
        self.wfile.write(answer + payload if has_body and not head else answer)
