"""Clients of the AWS SDK that a gateway creates the first time it calls, never at import.

Importing a handler must not load the SDK, and a function that never starts a workflow, pages a
listing or opens a secret must not pay for those clients; every client comes from the process's
shared session (`skylight.gateways.sessions`), so its service model is parsed once per container.
"""

from __future__ import annotations

from typing import Any


class FirstUseClient:
    """A class attribute: the instance's client of `service` in the instance's `_region`, created on
    first use. An instance's own `_client` (tests inject one) is used as it is."""

    def __init__(self, service: str, config: Any = None) -> None:
        self._service = service
        self._config = config

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        if instance._client is None:
            from skylight.gateways.sessions import shared_client  # loads the SDK: on first use only

            options = {"config": self._config} if self._config is not None else {}
            instance._client = shared_client(self._service, region_name=instance._region, **options)
        return instance._client
