"""Assembling what a segment's listings report, the same way for every provider."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from skylight.models.inventory import ListingError, TypeListing


@dataclass(frozen=True)
class ListedType:
    """A resource type as a listing reports it: its name, and the service whose calls list it."""

    name: str
    service: str


def unreachable_listings(
    segment: str,
    types: Iterable[ListedType],
    code: str,
    message: str,
    at: datetime,
    on_listed: Callable[[TypeListing], None] | None = None,
) -> list[TypeListing]:
    """What a segment gives when nothing could be listed (no credentials): every type failed with
    the same provider code and message, keeping its stored items."""
    listings = [
        TypeListing(
            type=listed.name,
            service=listed.service,
            resources=None,
            pages=0,
            error=ListingError(
                region=segment,
                service=listed.service,
                type=listed.name,
                code=code,
                message=message[:500],
                at=at,
            ),
        )
        for listed in types
    ]
    for listing in listings:
        if on_listed is not None:
            on_listed(listing)
    return listings


def unique_errors(errors: Iterable[ListingError]) -> list[ListingError]:
    """One of each (service, action, code): a refused detail call is refused for every batch."""
    seen: set[tuple[str, str | None, str]] = set()
    unique = []
    for error in errors:
        key = (error.service, error.action, error.code)
        if key not in seen:
            seen.add(key)
            unique.append(error)
    return unique
