"""What the clients of one session share: service model, client class, event-name aliases.

botocore builds, for EVERY client, a new `ServiceModel` (whose operation and shape objects are then
resolved again on first use), a new client class with one method per operation (EC2 has about
700), and a new table of event-name aliases that it fills again, name by name, on the client's
first calls. A crawl creates about ten clients per region it lists, each with the region's
temporary credentials, so this was a fifth of a region's CPU. All three derive only from the
service's JSON model, the session's event handlers and botocore's fixed alias list, and botocore
treats them as read-only once built. So clients with the same data loader share the model, clients
with the same event emitter share the class, and copies of an emitter share its alias table.
Credentials, region, endpoint, configuration and per-client handlers stay per client.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from botocore.client import ClientCreator
from botocore.hooks import EventAliaser

_MARK = "_skylight_client_reuse"
_lock = threading.Lock()


def install() -> None:
    """Make every `ClientCreator` and event aliaser share what they can (idempotent, thread-safe)."""
    with _lock:
        if getattr(ClientCreator._load_service_model, _MARK, False):
            return
        _share_models_and_classes()
        _share_alias_tables()


def _share_models_and_classes() -> None:
    load_model = ClientCreator._load_service_model
    create_class = ClientCreator._create_client_class
    # Weak keys: a loader or emitter that is gone takes its entries with it (ids could be reused).
    models: weakref.WeakKeyDictionary[Any, dict[Any, Any]] = weakref.WeakKeyDictionary()
    classes: weakref.WeakKeyDictionary[Any, dict[Any, Any]] = weakref.WeakKeyDictionary()

    def _load_service_model(self: ClientCreator, service_name: str, api_version: str | None = None) -> Any:
        return _shared(
            models,
            self._loader,
            (service_name, api_version),
            lambda: load_model(self, service_name, api_version),
        )

    def _create_client_class(self: ClientCreator, service_name: str, service_model: Any) -> Any:
        # The model itself is kept alive by `models`, so its id names it.
        return _shared(
            classes,
            self._event_emitter,
            (service_name, id(service_model)),
            lambda: create_class(self, service_name, service_model),
        )

    setattr(_load_service_model, _MARK, True)
    ClientCreator._load_service_model = _load_service_model
    ClientCreator._create_client_class = _create_client_class


def _shared(
    table: weakref.WeakKeyDictionary[Any, dict[Any, Any]], owner: Any, key: Any, build: Callable[[], Any]
) -> Any:
    """`owner`'s entry `key` in `table`, built (outside the lock) the first time it is asked for."""
    with _lock:
        found = table.get(owner, {}).get(key)
    if found is None:
        built = build()
        with _lock:
            found = table.setdefault(owner, {}).setdefault(key, built)
    return found


def _share_alias_tables() -> None:
    copy_aliaser = EventAliaser.__copy__

    def __copy__(self: EventAliaser) -> EventAliaser:
        copied = copy_aliaser(self)
        # The copy's alias list is a copy of this one's, so each event name aliases alike.
        copied._alias_name_cache = self._alias_name_cache
        return copied

    EventAliaser.__copy__ = __copy__
