"""DynamoDB Query reads only the items its key condition names, as DynamoDB does.

moto answers every Query on a table by sorting ALL the table's items, then keeping the queried
partition, then testing the sort-key condition on each: each query costs as much as the whole
table. DynamoDB reads only the matching range of one partition. With an account's ten thousand
resources stored under one partition key, a crawl's hundreds of `begins_with` queries kept the
emulator busy for tens of seconds. This patch hands a base-table Query only the items of the
partition it names that meet its sort-key condition (tested the way moto tests it, so answers and
order are unchanged); index queries and scans are left alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models.table import Table

_PATCH_MARK = "_skylight_partition_queries"
_hint = threading.local()


def install() -> None:
    original_query: Callable[..., Any] = Table.query
    if getattr(original_query, _PATCH_MARK, False):
        return
    original_all_items: Callable[..., Any] = Table.all_items

    def all_items(self: Table) -> Any:
        hint = getattr(_hint, "query", None)
        if hint is None or hint[0] is not self:
            return original_all_items(self)
        _, hash_key, comparison, operands = hint
        partition = self.items.get(hash_key, {})
        if not self.range_key_attr:
            return [partition]
        items = list(partition.values())
        if comparison == "BEGINS_WITH" and operands and operands[0].type == "S":
            prefix = operands[0].value  # the common case, as plain string tests
            return [item for item in items if str(item.range_key.value).startswith(prefix)]
        if comparison:
            items = [item for item in items if item.range_key.compare(comparison, operands)]
        return items

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # moto's positional order after the hash key: range_comparison, range_objs, limit,
        # exclusive_start_key, scan_index_forward, projection_expressions, index_name
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name is not None or hash_key is None:
            return original_query(self, hash_key, *args, **kwargs)
        comparison = kwargs.get("range_comparison", args[0] if args else None)
        operands = kwargs.get("range_objs", args[1] if len(args) > 1 else [])
        _hint.query = (self, hash_key, comparison, operands)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _hint.query = None

    setattr(query, _PATCH_MARK, True)
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
