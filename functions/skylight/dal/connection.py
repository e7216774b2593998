"""One PynamoDB connection per process (per region and endpoint), shared by every item model.

Left alone, PynamoDB gives each model class a connection of its own, and each connection builds
its botocore client from a new botocore session in whichever thread asks first. A crawl's listing
threads all start at once, so each of them parsed DynamoDB's service model and the endpoint rules
again: seconds of CPU per crawl. Here one client is built once, from the process's shared session,
before any thread can ask for it.
"""

from __future__ import annotations

import os
import threading

from pynamodb.connection import Connection
from pynamodb.models import Model

from skylight.gateways.sessions import creating_clients, shared_botocore_session

# Enough for every listing thread of a region to write at once without reopening sockets.
MAX_POOL_CONNECTIONS = 50

_LOCK = threading.Lock()
_CONNECTIONS: dict[tuple[str, str | None], Connection] = {}


def shared_connection(region: str) -> Connection:
    """The process's connection for `region` (and the current `AWS_ENDPOINT_URL`), its client ready."""
    key = (region, os.environ.get("AWS_ENDPOINT_URL"))
    with _LOCK:
        connection = _CONNECTIONS.get(key)
        if connection is None:
            connection = Connection(region=region, max_pool_connections=MAX_POOL_CONNECTIONS)
            with creating_clients():
                # PynamoDB builds its client from this thread's session on first use: build it now.
                connection._local.session = shared_botocore_session()
                _ = connection.client
            _CONNECTIONS[key] = connection
        return connection


def bind_models(models: tuple[type[Model], ...], table_name: str, region: str) -> None:
    """Point `models` at `table_name` in `region`, all through the shared connection."""
    connection = shared_connection(region)
    for model in models:
        bound = model._connection
        if (
            bound is not None
            and bound.connection is connection
            and model.Meta.table_name == table_name
            and getattr(model.Meta, "region", None) == region
        ):
            continue
        model.Meta.table_name = table_name
        model.Meta.region = region
        model._connection = None  # PynamoDB caches the connection with the old table name
        table = model._get_connection()
        if table_name not in connection._tables:
            connection.add_meta_table(table.get_meta_table())
        table.connection = connection
