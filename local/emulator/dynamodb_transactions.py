"""TransactWriteItems costs what its items cost, as in DynamoDB.

Before every transaction moto deep-copies each whole table it touches, so that it can roll back.
With a crawled account's ten thousand resources in the table, each crawl's lock transaction took
about a second of the emulator's CPU. This patch keeps copies of the transaction's own items
instead (at most 100), rolls those back on failure, and lets moto's table copy be the table itself.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

_PATCH_MARK = "_skylight_item_rollback"
_in_transaction = threading.local()


class _TablesNotCopied:
    """Stands in for the `copy` module inside moto's DynamoDB models: tables are not deep-copied
    during a transaction (its items are, by the patch); everything else is copied as usual."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Table) and getattr(_in_transaction, "active", False):
            return value
        return copy.deepcopy(value, memo)


Snapshot = tuple[Table, DynamoType, DynamoType | None, Any]


def _snapshots(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[Snapshot]:
    snapshots: list[Snapshot] = []
    for entry in transact_items:
        _, operation = next(iter(entry.items()))
        table = backend.tables.get(operation.get("TableName"))
        key = operation.get("Key") or operation.get("Item")
        if table is None or not isinstance(key, dict) or table.hash_key_attr not in key:
            continue
        hash_value = DynamoType(key[table.hash_key_attr])
        range_attr = table.range_key_attr
        range_value = DynamoType(key[range_attr]) if range_attr and range_attr in key else None
        if range_attr and range_value is None:
            continue  # moto refuses it before writing anything
        current = table.get_item(hash_value, range_value)
        snapshots.append((table, hash_value, range_value, copy.deepcopy(current)))
    return snapshots


def _roll_back(snapshots: list[Snapshot]) -> None:
    for table, hash_value, range_value, item in snapshots:
        if range_value is None:
            if item is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
            continue
        partition = table.items[hash_value]
        if item is None:
            partition.pop(range_value, None)
        else:
            partition[range_value] = item


def install() -> None:
    original: Callable[..., Any] = DynamoDBBackend.transact_write_items
    if getattr(original, _PATCH_MARK, False):
        return

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        snapshots = _snapshots(self, transact_items)
        _in_transaction.active = True
        try:
            return original(self, transact_items)
        except Exception:
            _roll_back(snapshots)
            raise
        finally:
            _in_transaction.active = False

    setattr(transact_write_items, _PATCH_MARK, True)
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    dynamodb_models.copy = _TablesNotCopied()  # type: ignore[assignment]
