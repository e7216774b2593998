"""One boto3 session per process for clients that carry no identity of their own."""

from __future__ import annotations

import threading
from typing import Any

import boto3

_LOCK = threading.Lock()
_SESSION: boto3.Session | None = None


def shared_session() -> boto3.Session:
    """The process-wide session: it caches the service models, so later clients are cheap to create."""
    global _SESSION
    with _LOCK:
        if _SESSION is None:
            _SESSION = boto3.Session()
        return _SESSION


def shared_client(service: str, **kwargs: Any) -> Any:
    """A client of the shared session; boto3 sessions are not thread-safe when creating clients."""
    session = shared_session()
    with _LOCK:
        return session.client(service, **kwargs)
