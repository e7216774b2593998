"""DynamoDB writes are atomic, as in DynamoDB.

moto's DynamoDB backend holds no lock: two requests served by two threads at once can both pass the
same condition (`count < limit`, `attribute_not_exists(pk)`) before either writes, and a transaction
can be seen half-applied. DynamoDB serializes the writes of an item and isolates transactions
(serializable against single-item writes and reads). This patch runs every write operation of a
backend, transactions and single-item reads under one re-entrant lock per backend (one account and
region), which is stricter than DynamoDB (it also serializes writes of different items) but never
looser, so that tests of concurrent conditional writes prove what they claim.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from moto.dynamodb.models import DynamoDBBackend

_PATCH_MARK = "_skylight_atomic"
#: Operations that read and then write (conditions, updates, transactions) or must see whole ones.
_SERIALIZED = ("put_item", "update_item", "delete_item", "transact_write_items", "get_item")

_locks: WeakKeyDictionary[DynamoDBBackend, threading.RLock] = WeakKeyDictionary()
_locks_lock = threading.Lock()


def _lock_of(backend: DynamoDBBackend) -> threading.RLock:
    with _locks_lock:
        lock = _locks.get(backend)
        if lock is None:
            lock = _locks[backend] = threading.RLock()
        return lock


def _serialized(operation: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(operation)
    def serialized(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with _lock_of(self):
            return operation(self, *args, **kwargs)

    setattr(serialized, _PATCH_MARK, True)
    return serialized


def install() -> None:
    """Serialize the backend's writes, transactions and item reads (idempotent). Install after any
    other patch of these methods, so that the lock covers them too."""
    for name in _SERIALIZED:
        operation = getattr(DynamoDBBackend, name)
        if not getattr(operation, _PATCH_MARK, False):
            setattr(DynamoDBBackend, name, _serialized(operation))
