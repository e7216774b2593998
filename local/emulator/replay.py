"""Replay the emulator's answers to read-only calls into chosen accounts while nothing changes there.

For the crawl benchmark. There, the fixed latency injected per call stands for everything AWS does
to answer, its servers' work included. moto does that work on the benchmark's own two cores, and
slowly: one DescribeInstances page of 900 instances takes it about 4 s of CPU. Measured crawls
would mostly measure moto. So the first answer to each read-only request is recorded, and the same
request is answered with the same bytes until any other request into that account arrives (or
`clear()` is called after changing moto's state directly). The crawler still sends every request
over HTTP and parses every answer with botocore: only the emulator's rendering is skipped.

Requests are told apart by account, region, service, method, path, query and body; the signature
(which changes with every request) is left out. Only answers with status 200 are kept.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from local.emulator.wsgi import run_app

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/([^/]+)/")
_READ_ONLY = re.compile(r"^(Describe|List|Get)[A-Z]")
# Never replayed: identities and keys. (The tagging API's page tokens are good for one use in moto;
# replaying is still safe, since every page of a listing is recorded and replayed together.)
_NEVER = frozenset({"sts", "iam", "kms", "states", "scheduler"})


@dataclass(frozen=True)
class _Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class _Request:
    account: str
    key: tuple[str, ...]
    read_only: bool


class ReplayCache:
    """WSGI middleware: wrap the emulator's app with `cache.wrap(app)`."""

    def __init__(self, accounts: Iterable[str], account_of: Callable[[str], str]) -> None:
        self._accounts = frozenset(accounts)
        self._account_of = account_of
        self._answers: dict[tuple[str, ...], _Answer] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()

    def wrap(self, app: WsgiApp) -> WsgiApp:
        def replaying(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            request = self._identify(environ)
            if request is None:
                return app(environ, start_response)
            if not request.read_only:
                self._forget(request.account)
                return app(environ, start_response)
            with self._lock:
                answer = self._answers.get(request.key)
                self.hits += answer is not None
                self.misses += answer is None
            if answer is None:
                answer = self._record(app, environ, request)
            start_response(answer.status, answer.headers)
            return [answer.body]

        return replaying

    def _identify(self, environ: dict[str, Any]) -> _Request | None:
        match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match is None:
            return None
        access_key, region, service = match.groups()
        account = environ.get("HTTP_X_MOTO_ACCOUNT_ID") or self._account_of(access_key)
        if service in _NEVER or account not in self._accounts:
            return None
        body = _read_body(environ)
        operation = _operation(environ, body)
        method = environ.get("REQUEST_METHOD", "GET")
        read_only = bool(_READ_ONLY.match(operation)) if operation else method in ("GET", "HEAD")
        path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
        key = (account, region, service, method, path, query, body.decode("utf-8", "replace"))
        return _Request(account=account, key=key, read_only=read_only)

    def _record(self, app: WsgiApp, environ: dict[str, Any], request: _Request) -> _Answer:
        answer = _Answer(*run_app(app, environ))
        if answer.status.startswith("200"):
            with self._lock:
                self._answers[request.key] = answer
        return answer

    def _forget(self, account: str) -> None:
        with self._lock:
            for key in [key for key in self._answers if key[0] == account]:
                del self._answers[key]


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, put back so that the emulator can read it again."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _operation(environ: dict[str, Any], body: bytes) -> str | None:
    """The API operation of a JSON (X-Amz-Target) or query (Action=) request; None for REST ones."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1]
    form = parse_qs(environ.get("QUERY_STRING", "")) or parse_qs(body.decode("utf-8", "replace"))
    action = form.get("Action")
    return action[0] if action else None
