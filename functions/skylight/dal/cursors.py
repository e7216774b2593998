"""Opaque pagination cursors: what a listing needs to resume, and a check that the caller may use it."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from skylight.models.errors import InvalidRequest


def encode_cursor(position: dict[str, Any]) -> str:
    document = json.dumps(position, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(document.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, expected: dict[str, Any], after_prefix: str) -> str:
    """The sort key to resume after; 400 unless the cursor was issued for exactly this listing.

    `expected` holds what the cursor must have been issued for (account, filters); the partition is
    never taken from a cursor, so a forged one can at most skip within the caller's own data.
    """
    invalid = InvalidRequest(
        "cursor is not one this API issued for this listing",
        fields=[{"field": "cursor", "message": "invalid cursor"}],
    )
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(decoded, dict):
        raise invalid
    after = decoded.pop("after", None)
    if not isinstance(after, str) or not after.startswith(after_prefix) or len(after) > 1100:
        raise invalid
    if decoded != {key: value for key, value in expected.items() if value is not None}:
        raise invalid
    return after
