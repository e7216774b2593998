"""DynamoDB Query reads one partition, as DynamoDB does.

moto answers every Query on a table by sorting ALL the table's items and then keeping the queried
partition, so each query costs as much as the whole table: with an account's ten thousand
resources stored, each of a crawl's queries took a noticeable fraction of a second. This patch
hands a base-table Query only the items of the partition it names (same answers, same order);
index queries and scans are left alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models.table import Table

_PATCH_MARK = "_skylight_partition_queries"
_partition = threading.local()


def install() -> None:
    original_query: Callable[..., Any] = Table.query
    if getattr(original_query, _PATCH_MARK, False):
        return
    original_all_items: Callable[..., Any] = Table.all_items

    def all_items(self: Table) -> Any:
        hint = getattr(_partition, "key", None)
        if hint is not None and hint[0] is self:
            partition = self.items.get(hint[1], {})
            return list(partition.values()) if self.range_key_attr else [partition]
        return original_all_items(self)

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # moto passes index_name seventh after the hash key, or by name
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name is not None or hash_key is None:
            return original_query(self, hash_key, *args, **kwargs)
        _partition.key = (self, hash_key)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _partition.key = None

    setattr(query, _PATCH_MARK, True)
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
