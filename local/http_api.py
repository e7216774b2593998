"""The local stand-in for API Gateway's HTTP API: JWT check, route match, payload v2 event, Lambda.

It behaves as the deployed API does for a client: only the stack's routes exist, every route
needs a valid token, claims reach the function the way the JWT authorizer passes them.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local.tokens import InvalidToken

Invoke = Callable[[dict[str, Any]], dict[str, Any]]
Verify = Callable[[str | None], dict[str, Any]]

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway form: /v1/accounts/{id}

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + r"\Z")

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def authorizer_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway's JWT authorizer hands them on: strings, arrays flattened to "[a b]"."""
    flattened: dict[str, str] = {}
    for name, value in claims.items():
        if isinstance(value, list):
            flattened[name] = "[" + " ".join(str(v) for v in value) + "]"
        elif isinstance(value, dict):
            flattened[name] = json.dumps(value)
        else:
            flattened[name] = str(value)
    return flattened


def build_event(
    route: Route,
    path_parameters: dict[str, str],
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    claims: dict[str, Any],
) -> dict[str, Any]:
    parts = urlsplit(url)
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "authorizer": {"jwt": {"claims": authorizer_claims(claims), "scopes": None}},
            "domainName": "127.0.0.1",
            "http": {
                "method": method,
                "path": parts.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("User-Agent", ""),
            },
            "requestId": f"local-{int(now * 1000)}",
            "routeKey": route.key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if parts.query:
        event["queryStringParameters"] = dict(parse_qsl(parts.query, keep_blank_values=True))
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        event["body"] = body.decode("utf-8", errors="replace")
    return event


class LocalHttpApi:
    def __init__(self, routes: list[Route], invoke: Invoke, verify: Verify) -> None:
        self.routes = routes
        self.invoke = invoke
        self.verify = verify
        self._server: ThreadingHTTPServer | None = None

    def handle(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        found = self.route_for(method, urlsplit(url).path)
        if found is None:
            return _json(404, {"message": "Not Found"})
        route, match = found
        try:
            claims = self.verify(headers.get("Authorization") or headers.get("authorization"))
        except InvalidToken as error:
            return _json(401, {"error": {"code": "unauthorized", "message": f"invalid token: {error}"}})
        result = self.invoke(build_event(route, match.groupdict(), method, url, headers, body, claims))
        if "statusCode" not in result:
            return _json(500, {"message": "Internal Server Error"})
        response_headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        return int(result["statusCode"]), response_headers, str(result.get("body", "")).encode()

    def route_for(self, method: str, path: str) -> tuple[Route, re.Match[str]] | None:
        """The route API Gateway picks: the path's own route for the method, else the path's ANY route."""
        candidates = [(route, route.pattern.match(path)) for route in self.routes]
        matching = [(route, match) for route, match in candidates if match]
        for wanted in (method, "ANY"):
            for route, match in matching:
                if route.method == wanted:
                    return route, match
        return None

    def start(self, host: str, port: int) -> ThreadingHTTPServer:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    status, headers, payload = _json(413, {"message": "Request Entity Too Large"})
                else:
                    body = self.rfile.read(length) if length else b""
                    status, headers, payload = api.handle(self.command, self.path, dict(self.headers), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def __getattr__(self, name: str) -> Any:
                # Every method reaches the routes, as with API Gateway (TRACE, HEAD, OPTIONS...), instead of
                # http.server's HTML 501 for each method without a do_<METHOD>.
                if name.startswith("do_"):
                    return self._serve
                raise AttributeError(name)

            def log_message(self, format: str, *args: Any) -> None:
                return  # the demo prints its own readable log

        self._server = ThreadingHTTPServer((host, port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True, name="local-http-api").start()
        return self._server

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()


def _json(status: int, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()
