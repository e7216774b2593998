"""The resource-module contract every provider keeps: one module per resource type, found by convention.

A provider's resources package holds a module `<service>_<resource>.py` per type
`<provider>.<service>.<resource>`, exposing three names:

``RESOURCE``
    the provider's description of the type (an instance of its own type class, with a `name`).
``fetch(client) -> Iterator[dict]``
    yields the raw records of every resource, following every page. Dumb on purpose: no retries,
    no error handling, no budget (the crawler owns those).
``transform(raw, location) -> Resource``
    pure: one raw record as the compact `Resource` that is stored.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Generic, Protocol, TypeVar

from skylight.models.inventory import Resource


class NamedType(Protocol):
    @property
    def name(self) -> str: ...


TypeT = TypeVar("TypeT", bound=NamedType)
LocationT = TypeVar("LocationT")
ModuleT = TypeVar("ModuleT", bound="ResourceModule[Any, Any]")


@dataclass(frozen=True)
class ResourceModule(Generic[TypeT, LocationT]):
    """A loaded resource module, checked against the contract above."""

    type: TypeT
    fetch: Callable[[Any], Iterator[dict[str, Any]]]
    transform: Callable[[dict[str, Any], LocationT], Resource]


class ContractError(Exception):
    """A resource module does not keep the contract."""


def load_module(module: ModuleType, provider: str, type_class: type[TypeT]) -> ResourceModule[TypeT, Any]:
    """`module` as a `ResourceModule`, once it defines the three names and describes the type its
    file name says (`ec2_instance.py` of provider `aws`: `aws.ec2.instance`)."""
    resource_type = getattr(module, "RESOURCE", None)
    fetch = getattr(module, "fetch", None)
    transform = getattr(module, "transform", None)
    short_name = module.__name__.rsplit(".", 1)[-1]
    if not isinstance(resource_type, type_class) or not callable(fetch) or not callable(transform):
        raise ContractError(f"{module.__name__} must define RESOURCE, fetch and transform")
    expected = f"{provider}.{short_name.replace('_', '.', 1)}"
    if resource_type.name != expected:
        raise ContractError(f"{module.__name__} must describe {expected}")
    return ResourceModule(type=resource_type, fetch=fetch, transform=transform)


def discover(package: ModuleType, load: Callable[[ModuleType], ModuleT]) -> tuple[ModuleT, ...]:
    """Every resource module of `package` (names starting with `_` are helpers), loaded with
    `load`, sorted by type name."""
    modules = [
        load(importlib.import_module(f"{package.__name__}.{info.name}"))
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    ]
    return tuple(sorted(modules, key=lambda module: module.type.name))


def code_version(package: ModuleType, versions: Iterable[str]) -> str:
    """Of the code that turns a provider's answers into stored resources: the versions given (its
    SDK's), its resources package, this shared package and the inventory model. Pages recorded by
    other code must not vouch for what this code would store."""
    from skylight.models import inventory

    digest = hashlib.blake2b("\0".join(versions).encode(), digest_size=8)
    files = [
        *sorted(Path(str(package.__file__)).parent.glob("*.py")),
        *sorted(Path(__file__).parent.glob("*.py")),
        Path(str(inventory.__file__)),
    ]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
