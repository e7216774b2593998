"""botocore's XML response parsers, planning each structure shape once instead of once per element.

EC2 answers listings in XML; a page of 1,000 instances is a tree of tens of thousands of elements.
For every structure element, botocore's parser looks up, member by member, the member's location,
its XML name and its handler (by building the handler's name as text), and strips the namespace of
every child's tag with a regular expression. A crawl spent nearly half its CPU there. These
subclasses keep botocore's parsing (same handlers, same output) but compute each structure shape's
plan (member name, XML name, member shape, handler) once per process, and each tag's local name
once per tag. Shapes with members botocore handles specially (XML attributes, error and union
shapes) go through botocore's own code unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from botocore.parsers import EC2QueryParser, QueryParser, ResponseParserFactory

Plan = tuple[Any, bool, tuple[tuple[str, str, Any, Any, Callable[[str], Any] | None], ...]]

# XML element names come from the service models: a few thousand at most.
_MAX_TAGS = 50_000


class _PlannedStructures:
    """Mixin for `BaseXMLResponseParser` subclasses: structure plans and local tag names, cached."""

    _plans: dict[int, Plan]
    _local_names: dict[str, str]
    _cache_lock: threading.Lock

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._plans = {}
        cls._local_names = {}
        cls._cache_lock = threading.Lock()

    def _node_tag(self, node: Any) -> str:
        tag: str = node.tag
        local = self._local_names.get(tag)
        if local is None:
            local = self._namespace_re.sub("", tag)  # type: ignore[attr-defined]
            if len(self._local_names) < _MAX_TAGS:
                self._local_names[tag] = local
        return local

    def _plan(self, shape: Any) -> Plan:
        plan = self._plans.get(id(shape))
        if plan is not None and plan[0] is shape:
            return plan
        plain = not shape.metadata.get("exception", False) and not shape.is_tagged_union
        members = []
        for name, member in shape.members.items():
            serialization = member.serialization
            if serialization.get("location") in self.KNOWN_LOCATIONS or serialization.get(  # type: ignore[attr-defined]
                "eventheader"
            ):
                continue  # handled from the headers, as botocore does
            if serialization.get("xmlAttribute"):
                plain = False
            handler = getattr(type(self), f"_handle_{member.type_name}", type(self)._default_handle)  # type: ignore[attr-defined]
            xml_name = self._member_key_name(member, name)  # type: ignore[attr-defined]
            members.append((name, xml_name, member, handler, _SCALARS.get(member.type_name)))
        plan = (shape, plain, tuple(members))
        with self._cache_lock:
            # The plan holds its shape, so the id it is filed under cannot be reused meanwhile.
            self._plans[id(shape)] = plan
        return plan

    def _handle_structure(self, shape: Any, node: Any) -> Any:
        _, plain, members = self._plan(shape)
        if not plain or isinstance(node, list):
            return super()._handle_structure(shape, node)  # type: ignore[misc]
        # botocore's `_build_name_to_xml_node`: repeated elements are gathered in a list.
        local_names = self._local_names
        elements: dict[str, Any] = {}
        for child in node:
            key = local_names.get(child.tag) or self._node_tag(child)
            present = elements.get(key)
            if present is None:
                elements[key] = child
            elif isinstance(present, list):
                present.append(child)
            else:
                elements[key] = [present, child]
        parsed = {}
        for name, xml_name, member, handler, scalar in members:
            element = elements.get(xml_name)
            if element is None:
                continue
            if scalar is not None and not isinstance(element, list):
                # botocore's scalar handlers, inline: an empty element is the empty string.
                text = element.text
                parsed[name] = scalar("" if text is None else text)
            else:
                parsed[name] = handler(self, member, element)
        return parsed


def _text(text: str) -> str:
    return text


def _boolean(text: str) -> bool:
    return text == "true"


# botocore's handlers of these scalar types, as plain functions of the element's text.
_SCALARS: dict[str, Callable[[str], Any]] = {
    "string": _text,
    "character": _text,
    "boolean": _boolean,
    "integer": int,
    "long": int,
    "float": float,
    "double": float,
}


class PlannedEC2QueryParser(_PlannedStructures, EC2QueryParser):
    """EC2's protocol."""


class PlannedQueryParser(_PlannedStructures, QueryParser):
    """The query protocol (RDS, Auto Scaling, ELBv2, STS, IAM, ...)."""


_PLANNED = {"ec2": PlannedEC2QueryParser, "query": PlannedQueryParser}


class PlannedParserFactory(ResponseParserFactory):
    """botocore's parser factory, handing out the planned parsers for the XML query protocols."""

    def create_parser(self, protocol_name: str) -> Any:
        planned = _PLANNED.get(protocol_name)
        if planned is None:
            return super().create_parser(protocol_name)
        return planned(**self._defaults)
