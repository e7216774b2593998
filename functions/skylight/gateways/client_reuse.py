"""What the clients of one session share: service model, client class, event handlers, aliases.

botocore builds, for EVERY client, a new `ServiceModel` (whose operation and shape objects are then
resolved again on first use), a new client class with one method per operation (EC2 has about
700), a deep copy of the session's table of event handlers (about 400 nodes), and a new table of
event-name aliases that it fills again, name by name, on the client's first calls. A crawl
creates about ten clients per region it lists, each with the region's temporary credentials, so
this was a third of a nearly empty region's CPU. All of it derives only from the service's JSON
model, the session's event handlers and botocore's fixed alias list, and botocore treats it as
read-only once built. So clients with the same data loader share the model, clients with the same
event emitter share the class, and copies of an emitter share its alias table. The shared
session's handler table is copy-on-write (`CopyOnWriteTrie`): a client's copy shares every node
until the client registers a handler of its own, which copies only the nodes on that event name's
path. Likewise every client parsed its service's endpoint rules into a tree of rule objects and
then evaluated the tree again on its first call, for the same parameters as the last client's (a
tenth of a nearly empty region's CPU); clients of one service now share the parsed rules and the
provider's cache of answers, which depend only on the rules and the call's parameters (region,
FIPS, dual-stack, endpoint override, ...). Credentials, region, endpoint, configuration and
per-client handlers stay per client.
"""

from __future__ import annotations

import collections
import copy
import functools
import threading
import weakref
from collections.abc import Callable
from typing import Any

import botocore.regions
import botocore.session
import botocore.useragent
from botocore.client import ClientCreator
from botocore.hooks import EventAliaser, HierarchicalEmitter, NodeList, _PrefixTrie

_MARK = "_skylight_client_reuse"
_lock = threading.Lock()


def install() -> None:
    """Make every `ClientCreator` and event aliaser share what they can (idempotent, thread-safe)."""
    with _lock:
        if getattr(ClientCreator._load_service_model, _MARK, False):
            return
        _share_models_and_classes()
        _share_alias_tables()
        _remember_user_agent_parts()
        _share_endpoint_providers()


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


def _remember_user_agent_parts() -> None:
    # botocore builds the User-Agent header twice per call, cleaning each of its ~16 parts character
    # by character (a tenth of a small call's CPU); the cleaning is a pure function of its inputs.
    botocore.useragent.sanitize_user_agent_string_component = functools.lru_cache(maxsize=1024)(
        botocore.useragent.sanitize_user_agent_string_component
    )


# Endpoint providers kept: one per service's rules (and loader); more is a process with many sessions.
ENDPOINT_PROVIDERS_KEPT = 256


def _share_endpoint_providers() -> None:
    build = botocore.regions.EndpointProvider
    providers: collections.OrderedDict[tuple[Any, ...], tuple[Any, Any, Any]] = collections.OrderedDict()

    def endpoint_provider(
        ruleset_data: dict[str, Any], partition_data: dict[str, Any], excluded_params: Any = None
    ) -> Any:
        # The loader hands out one parsed copy of each file, so their ids name them; the entry keeps
        # both alive, so that no other data can take the same ids while it is here.
        key = (id(ruleset_data), id(partition_data), frozenset(excluded_params or ()))
        with _lock:
            entry = providers.get(key)
            if entry is not None:
                providers.move_to_end(key)
                return entry[2]
        provider = build(
            ruleset_data=ruleset_data, partition_data=partition_data, excluded_params=excluded_params
        )
        with _lock:
            entry = providers.setdefault(key, (ruleset_data, partition_data, provider))
            while len(providers) > ENDPOINT_PROVIDERS_KEPT:
                providers.popitem(last=False)
        return entry[2]

    botocore.regions.EndpointProvider = endpoint_provider


def share_handler_table(session: botocore.session.Session) -> None:
    """Make `session`'s handler table copy-on-write, so its clients' copies cost next to nothing."""
    emitter = session.get_component("event_emitter")
    hierarchical = getattr(emitter, "_emitter", emitter)
    if not isinstance(hierarchical, HierarchicalEmitter):
        return  # not botocore's emitter: leave it as it is
    table = hierarchical._handlers
    if not isinstance(table, CopyOnWriteTrie):
        hierarchical._handlers = CopyOnWriteTrie.adopt(table)


Node = dict[str, Any]


class CopyOnWriteTrie(_PrefixTrie):
    """botocore's table of event handlers, copied in constant time.

    A node is never changed once another table may see it: a change builds new nodes along its own
    event name's path (the rest stays shared) and then swaps the root. So an emitter's copy and the
    original never see each other's changes, as with botocore's deep copy, and a search runs on
    one consistent root.
    """

    _root: Node

    @classmethod
    def adopt(cls, table: _PrefixTrie) -> CopyOnWriteTrie:
        """The same handlers as `table`, in nodes of its own (`table` may still change in place)."""
        adopted = cls()
        adopted._root = copy.copy(table)._root
        return adopted

    def __copy__(self) -> CopyOnWriteTrie:
        copied = self.__class__.__new__(self.__class__)
        copied._root = self._root
        return copied

    def append_item(self, key: str, value: Any, section: int = 1) -> None:
        root = _own(self._root)
        node = root
        for part in key.split("."):
            child = node["children"].get(part)
            child = {"chunk": part, "values": None, "children": {}} if child is None else _own(child)
            node["children"][part] = child
            node = child
        values = node["values"]
        node["values"] = values = NodeList([], [], []) if values is None else copy.copy(values)
        values[section].append(value)
        self._root = root

    def remove_item(self, key: str, value: Any) -> None:
        parts = key.split(".")
        root = _own(self._root)
        path = [root]
        for part in parts:
            child = path[-1]["children"].get(part)
            if child is None:
                raise ValueError(f"key is not in trie: {key}")
            child = _own(child)
            path[-1]["children"][part] = child
            path.append(child)
        leaf = path[-1]
        if leaf["values"] is not None:
            leaf["values"] = values = copy.copy(leaf["values"])
            section = next((section for section in values if value in section), None)
            if section is not None:
                section.remove(value)
        # As botocore does: a node left with no children and no value list goes.
        for parent, part, child in reversed(list(zip(path, parts, path[1:], strict=False))):
            if not child["children"] and not child["values"]:
                del parent["children"][part]
        self._root = root


def _own(node: Node) -> Node:
    """A new node with the same values and children as `node`, whose children may be changed."""
    return {"chunk": node["chunk"], "values": node["values"], "children": dict(node["children"])}
