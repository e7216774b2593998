"""One botocore session per process, for every client that carries no identity of its own.

A new botocore session parses the endpoint rules and each service model again (tens of
milliseconds of CPU apiece); one shared session parses each once. Clients are thread-safe, but
creating them from one session is not, so every client of the shared session is created under
one lock.
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import boto3
import botocore.session
import botocore.utils

from skylight.gateways import client_reuse, tls
from skylight.gateways.response_parsers import PlannedParserFactory

_LOCK = threading.RLock()
_BOTOCORE_SESSION: botocore.session.Session | None = None
_SESSION: boto3.Session | None = None


def shared_botocore_session() -> botocore.session.Session:
    """The botocore session under `shared_session()`, for libraries that build their own clients."""
    global _BOTOCORE_SESSION
    with _LOCK:
        if _BOTOCORE_SESSION is None:
            client_reuse.install()
            tls.install()
            session = botocore.session.get_session()
            client_reuse.share_handler_table(session)
            parsers = PlannedParserFactory()
            parsers.set_parser_defaults(timestamp_parser=parse_timestamp)
            session.register_component("response_parser_factory", parsers)
            _BOTOCORE_SESSION = session
        return _BOTOCORE_SESSION


def parse_timestamp(value: Any) -> datetime:
    """A timestamp from an AWS answer, as botocore would parse it, but ISO 8601 text (what most APIs
    send) through the standard library's C parser: botocore's general-purpose parser was a fifth of
    the CPU a crawl spends reading EC2's answers."""
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return botocore.utils.parse_timestamp(value)


def proxies_from_environment() -> dict[str, str] | None:
    """For `Config(proxies=...)`: `{}` when the environment names no proxy, so that botocore does not
    scan the whole environment again for every client it creates (a tenth of creating one); `None`
    when it names one, leaving botocore to apply the proxies and their exceptions per endpoint."""
    return None if urllib.request.getproxies() else {}


def shared_session() -> boto3.Session:
    """The process-wide session: it caches the service models, so later clients are cheap to create."""
    global _SESSION
    with _LOCK:
        if _SESSION is None:
            _SESSION = boto3.Session(botocore_session=shared_botocore_session())
        return _SESSION


def session_with_shared_models() -> botocore.session.Session:
    """A new botocore session (credentials of its own) that reuses the shared session's parsed models."""
    session = botocore.session.get_session()
    session.register_component("data_loader", shared_botocore_session().get_component("data_loader"))
    return session


@contextmanager
def creating_clients() -> Iterator[None]:
    """Hold this while creating clients from the shared session (from any thread)."""
    with _LOCK:
        yield


def shared_client(service: str, session: boto3.Session | None = None, **kwargs: Any) -> Any:
    """A client of the shared session (or of `session`), created under the one creation lock."""
    with creating_clients():
        return (session or shared_session()).client(service, **kwargs)
