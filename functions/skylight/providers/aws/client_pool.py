"""Crawl clients kept warm between crawls, lent to one crawl at a time with that crawl's credentials.

Creating a boto3 client, and the connection it then opens (a TLS handshake, against AWS), costs
about as much CPU as all the calls of a nearly empty region, and a crawl needs one client per
service and region it lists: well over a hundred for an account with every region enabled. A
warm function keeps them, as AWS advises for clients in Lambda, with one difference: each crawl
signs as another customer. So a pooled client signs with the credentials of the crawl holding it,
and with none while it is idle (a call then fails before anything is sent), and the hooks a crawl
gives it (call budget, page recording) are dropped when the crawl gives it back. Connections carry
no identity: every request is signed on its own.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.exceptions import NoCredentialsError

Hook = tuple[str, Callable[..., Any]]

# The events a crawl may hook: one dispatcher each per pooled client, registered when it is made.
LEASE_EVENTS = ("before-parse", "before-call", "before-send", "after-call", "needs-retry")
# Idle clients kept per process, the least recently used closed first: enough for every service of
# every region of a crawl, few enough to stay far from a function's limit of open files.
IDLE_CLIENTS = 192
# A client idle longer than this is lent with fresh connections: AWS may have closed its open ones
# meanwhile, unseen by a function that was frozen (the client itself is still worth keeping).
FRESH_CONNECTIONS_AFTER_S = 30.0
_POOLED = "_skylight_pooled"


class LeasedCredentials(Credentials):
    """A pooled client's credentials: the holding crawl's, or none at all."""

    def __init__(self) -> None:
        super().__init__(access_key="", secret_key="", method="skylight-crawl-lease")
        self._held: ReadOnlyCredentials | None = None

    def hold(self, access_key: str, secret_key: str, token: str | None) -> None:
        self._held = ReadOnlyCredentials(access_key, secret_key, token)

    def drop(self) -> None:
        self._held = None

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        held = self._held
        if held is None:
            raise NoCredentialsError()
        return held


@dataclass
class _Pooled:
    """What the pool knows of one of its clients."""

    key: tuple[str, str]
    credentials: LeasedCredentials
    hooks: dict[str, list[Callable[..., Any]]] = field(default_factory=dict)
    lent: bool = False
    idle_since: float = 0.0

    def dispatcher(self, event: str) -> Callable[..., Any]:
        def dispatch(**kwargs: Any) -> Any:
            # The first answer wins, as when the crawl's hooks were registered one by one.
            for hook in self.hooks.get(event, ()):
                response = hook(**kwargs)
                if response is not None:
                    return response
            return None

        return dispatch


class ClientPool:
    """Clients per (region, service), lent out with credentials and hooks, then kept idle."""

    def __init__(
        self,
        create: Callable[[str, str, Sequence[Hook]], Any],
        idle_limit: int = IDLE_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`create(region, service, hooks)` makes a client whose first hooks are `hooks`."""
        self._create = create
        self._idle_limit = idle_limit
        self._clock = clock
        self._lock = threading.Lock()
        self._idle: OrderedDict[tuple[str, str], list[Any]] = OrderedDict()
        self._idle_count = 0

    def take(
        self,
        region: str,
        service: str,
        access_key: str,
        secret_key: str,
        token: str | None,
        hooks: Iterable[Hook] = (),
    ) -> Any:
        """A client of `service` in `region`, signing with these credentials, `hooks` first."""
        by_event: dict[str, list[Callable[..., Any]]] = {}
        for event, hook in hooks:
            if event not in LEASE_EVENTS:
                raise ValueError(f"a crawl client cannot lend the event {event!r}")
            by_event.setdefault(event, []).append(hook)
        client = self._idle_client((region, service)) or self._new_client((region, service))
        pooled: _Pooled = getattr(client, _POOLED)
        if pooled.idle_since and self._clock() - pooled.idle_since > FRESH_CONNECTIONS_AFTER_S:
            client.close()  # only its connections: the next call opens a new one
        pooled.hooks = by_event
        pooled.credentials.hold(access_key, secret_key, token)
        pooled.lent = True
        return client

    def give_back(self, clients: Iterable[Any]) -> None:
        """Clients a crawl has done with: no credentials, no hooks, idle for the next crawl."""
        closing: list[Any] = []
        for client in clients:
            pooled: _Pooled | None = getattr(client, _POOLED, None)
            with self._lock:
                if pooled is None or not pooled.lent:
                    continue  # not the pool's, or given back already
                pooled.lent = False
                pooled.credentials.drop()
                pooled.hooks = {}
                pooled.idle_since = self._clock()
                self._idle.setdefault(pooled.key, []).append(client)
                self._idle.move_to_end(pooled.key)
                self._idle_count += 1
                closing.extend(self._over_limit())
        for client in closing:
            client.close()  # its connections

    @property
    def idle(self) -> int:
        with self._lock:
            return self._idle_count

    def _idle_client(self, key: tuple[str, str]) -> Any:
        with self._lock:
            idle = self._idle.get(key)
            if not idle:
                return None
            client = idle.pop()
            if not idle:
                del self._idle[key]
            self._idle_count -= 1
            return client

    def _new_client(self, key: tuple[str, str]) -> Any:
        pooled = _Pooled(key=key, credentials=LeasedCredentials())
        client = self._create(*key, [(event, pooled.dispatcher(event)) for event in LEASE_EVENTS])
        # botocore has no public way to give a client other credentials once made: its signer's.
        client._request_signer._credentials = pooled.credentials
        setattr(client, _POOLED, pooled)
        return client

    def _over_limit(self) -> list[Any]:
        """Under the lock: the least recently used idle clients beyond the limit, forgotten."""
        evicted: list[Any] = []
        while self._idle_count > self._idle_limit:
            key, idle = next(iter(self._idle.items()))
            client = idle.pop(0)
            if not idle:
                del self._idle[key]
            self._idle_count -= 1
            evicted.append(client)
        return evicted
