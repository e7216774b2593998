"""Reading a request's head and writing an answer without the `email` package.

The standard library's `http.server` parses every request's headers with `email.parser`, and
werkzeug then builds the WSGI environ and logs each answer: together about two thirds of a
millisecond of CPU per request, which the crawl benchmark's burst of a few hundred requests at once
spends on one interpreter lock. Here the head is split by hand, in the shapes botocore and urllib3
send; anything else (an absolute request target, a header name with an underscore, a head that is
not HTTP/1.x) is left to the standard library and werkzeug, so it is answered as before.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any, Protocol
from urllib.parse import unquote

from moto.core.request import PRESERVED_HEADER_NAMES_ENVIRON_KEY
from werkzeug._internal import _wsgi_encoding_dance
from werkzeug.http import parse_set_header
from werkzeug.serving import DechunkedInput

MAX_LINE = 65536  # as http.server: a longer line is refused
MAX_HEADERS = 100


class HeadError(Exception):
    """The request head cannot be read: answer `status` and close the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Headers:
    """A request's headers, with the reading methods `http.server`'s handlers and werkzeug use."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def keys(self) -> list[str]:
        return [name for name, _ in self._pairs]

    def get(self, name: str, default: Any = None) -> Any:
        wanted = name.lower()
        for key, value in self._pairs:
            if key.lower() == wanted:
                return value
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())


class LineReader(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...


def simple_request_line(raw: bytes) -> tuple[str, str, str] | None:
    """Method, target and version of an HTTP/1.x request for a path; None for anything else."""
    words = str(raw, "iso-8859-1").rstrip("\r\n").split()
    if len(words) != 3:
        return None
    method, target, version = words
    if version not in ("HTTP/1.1", "HTTP/1.0") or not target.startswith("/") or target.startswith("//"):
        return None
    return method, target, version


def read_headers(stream: LineReader) -> list[tuple[str, str]]:
    """The header lines up to the blank line, as (name, value) pairs in order."""
    pairs: list[tuple[str, str]] = []
    while True:
        line = stream.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise HeadError(431, "Line too long")
        if line in (b"\r\n", b"\n", b""):
            return pairs
        if len(pairs) >= MAX_HEADERS:
            raise HeadError(431, "Too many headers")
        text = str(line, "iso-8859-1")
        name, colon, value = text.partition(":")
        if not colon or not name or name[0] in " \t" or name != name.rstrip():
            raise HeadError(400, "Bad header line")
        pairs.append((name, value.lstrip(" \t").rstrip("\r\n")))


def keeps_open(version: str, headers: Headers) -> bool:
    """Whether the connection stays open after the answer, as `http.server` decides it."""
    connection = str(headers.get("Connection", "")).lower()
    if connection == "close":
        return False
    return version == "HTTP/1.1" or connection == "keep-alive"


def plain_headers(headers: Headers) -> bool:
    """Headers the lean environ covers: werkzeug drops underscored names and moto keeps some."""
    return all("_" not in name for name in headers)


def environ_for(
    method: str,
    target: str,
    version: str,
    headers: Headers,
    body: Any,
    server_address: tuple[str, int],
    client_address: tuple[str, int],
    server_software: str,
    connection: Any,
) -> dict[str, Any]:
    """The WSGI environ werkzeug's and moto's request handlers build for this request."""
    path, _, query = target.partition("?")
    query = query.partition("#")[0]
    path = path.partition("#")[0]
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "werkzeug.socket": connection,
        "SERVER_SOFTWARE": server_software,
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _wsgi_encoding_dance(unquote(path)),
        "QUERY_STRING": _wsgi_encoding_dance(query),
        "REQUEST_URI": _wsgi_encoding_dance(target),
        "RAW_URI": _wsgi_encoding_dance(target),
        "REMOTE_ADDR": client_address[0],
        "REMOTE_PORT": client_address[1],
        "SERVER_NAME": server_address[0],
        "SERVER_PORT": str(server_address[1]),
        "SERVER_PROTOCOL": version,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        value = value.replace("\r\n", "")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
            if key in environ:
                value = f"{environ[key]},{value}"
        environ[key] = value
    if "chunked" in parse_set_header(environ.get("HTTP_TRANSFER_ENCODING")):
        environ["wsgi.input_terminated"] = True
        environ["wsgi.input"] = DechunkedInput(body)
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = {}
    return environ


def answer_head(
    version: str, status: str, headers: list[tuple[str, str]], server: str, extra: list[tuple[str, str]]
) -> bytes:
    """Status line and headers of an answer, with the `Server` and `Date` that `http.server` adds."""
    lines = [f"{version} {status}", f"Server: {server}", f"Date: {formatdate(usegmt=True)}"]
    lines.extend(f"{name}: {value}" for name, value in [*headers, *extra])
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "strict")
