"""Opaque, signed pagination cursors: only a cursor this API issued for exactly this listing is accepted.

A cursor is `v1.<resume position>.<tag>`: the sort key to resume after (base64url) and an
HMAC-SHA256 tag (truncated to 128 bits) over a canonical encoding of everything the cursor was issued
for: the tenant, the listing's kind, its account and filters, and the resume position. The binding is
signed but not carried, so a cursor says nothing about whose it is, and one presented by another
tenant, on another account or listing, or with other filters fails to verify exactly like a forged
or altered one: 400 `invalid_request` on the `cursor` field.

The signing key comes from a `CursorKeySource` (KMS GenerateMac in production, see
`skylight.gateways.cursor_keys`), asked once per container and then kept in memory only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from skylight.models.errors import InvalidRequest

VERSION = "v1"
#: Bytes of HMAC-SHA256 kept in a cursor (128 bits, as HMAC-SHA-256-128 in RFC 4868).
TAG_BYTES = 16
#: Longest resume position accepted (DynamoDB sort keys are at most 1,024 bytes).
MAX_POSITION_BYTES = 1100
_DOMAIN = b"skylight/cursor/v1\n"
_FROM_URLSAFE = str.maketrans("-_", "+/")
#: The longest cursor this API issues.
MAX_CURSOR_CHARS = len(VERSION) + 1 + -(-MAX_POSITION_BYTES * 4 // 3) + 1 + -(-TAG_BYTES * 4 // 3)
#: Every cursor's shape (the document states it; only the tag says whether it is one of ours): the
#: version, the position and the 128-bit tag, each base64url without padding, ASCII only.
CURSOR_PATTERN = rf"^{VERSION}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{{{-(-TAG_BYTES * 4 // 3)}}}$"


class CursorKeyError(Exception):
    """The signing key could not be derived; carries the provider's error code only (never key material)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class CursorKeySource(Protocol):
    def signing_key(self) -> bytes:
        """The cursor signing key: at least 32 bytes, the same in every container of the deployment."""
        ...


@dataclass(frozen=True)
class Listing:
    """What a cursor is issued for: whose listing, which one, and its scope (account id, filters).

    Every scope key the listing has is named, filters that are not set as None, so "no filter" and
    "a filter" never encode alike.
    """

    tenant_id: str
    kind: str
    scope: Mapping[str, str | None] = field(default_factory=dict)

    def canonical(self, position: str) -> bytes:
        """The signed message: an unambiguous encoding of the listing and the position in it."""
        document = {"tenant": self.tenant_id, "kind": self.kind, "scope": dict(self.scope), "after": position}
        return _DOMAIN + json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


class CursorSigner:
    """Issues and verifies cursors; the key is asked for on first use and cached for the container."""

    def __init__(self, keys: CursorKeySource) -> None:
        self._keys = keys
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CursorSigner(keys={type(self._keys).__name__})"

    def encode(self, listing: Listing, position: str) -> str:
        """A cursor to resume `listing` after `position` (a sort key)."""
        return ".".join((VERSION, _b64encode(position.encode()), _b64encode(self._tag(listing, position))))

    def decode(self, cursor: str, listing: Listing, position_prefix: str) -> str:
        """The position to resume after; 400 unless this API issued the cursor for exactly `listing`."""
        invalid = InvalidRequest(
            "cursor is not one this API issued for this listing",
            fields=[{"field": "cursor", "message": "invalid cursor"}],
        )
        if len(cursor) > MAX_CURSOR_CHARS:
            raise invalid
        version, _, rest = cursor.partition(".")
        encoded_position, _, encoded_tag = rest.partition(".")
        try:
            position = _b64decode(encoded_position).decode()
            tag = _b64decode(encoded_tag)
        except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
            raise invalid from None
        if version != VERSION or len(tag) != TAG_BYTES or len(position.encode()) > MAX_POSITION_BYTES:
            raise invalid
        if not hmac.compare_digest(tag, self._tag(listing, position)):
            raise invalid
        # Signed by us for this listing, so this holds; checked anyway: the query must stay in range.
        if not position.startswith(position_prefix):
            raise invalid
        return position

    def _tag(self, listing: Listing, position: str) -> bytes:
        return hmac.new(self._signing_key(), listing.canonical(position), hashlib.sha256).digest()[:TAG_BYTES]

    def _signing_key(self) -> bytes:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    key = self._keys.signing_key()
                    if len(key) < 32:
                        raise CursorKeyError("ShortKey")
                    self._key = bytes(key)
        return self._key


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    """Strict base64url without padding: one spelling per value, so no character can change unnoticed."""
    data = base64.b64decode(text.translate(_FROM_URLSAFE) + "=" * (-len(text) % 4), validate=True)
    if _b64encode(data) != text:
        raise ValueError("not the canonical encoding")
    return data
