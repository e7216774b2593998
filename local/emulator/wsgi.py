"""Running a WSGI app to completion: its status, headers and whole body, for the emulator's layers
that need an answer as one piece (the keep-alive handler frames it, the replay cache keeps it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Answer = tuple[str, list[tuple[str, str]], bytes]


def run_app(app: Any, environ: dict[str, Any]) -> Answer:
    """Run `app` on `environ`; what it answered, with what it wrote and what it returned, in order."""
    started: dict[str, Any] = {}
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started.update(status=status, headers=list(headers))
        return written.append

    chunks: Iterable[bytes] = app(environ, start_response)
    try:
        written.extend(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return started["status"], started["headers"], b"".join(written)
