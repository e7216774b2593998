"""External IDs: how they are made, in one place.

The confused-deputy check at every validation assumes the role with a wrong External ID made by
this same generator, so a trust policy whose `StringLike` pattern merely looks like Skylight's IDs
(prefix, length, alphabet) is caught as accepting IDs that are not the tenant's.
"""

from __future__ import annotations

import secrets

EXTERNAL_ID_PREFIX = "skylight-"
#: Random bytes behind each ID: 192 bits, 32 URL-safe characters after the prefix.
EXTERNAL_ID_RANDOM_BYTES = 24


def new_external_id() -> str:
    """An unguessable External ID within STS's alphabet; never derived from the tenant id."""
    return EXTERNAL_ID_PREFIX + secrets.token_urlsafe(EXTERNAL_ID_RANDOM_BYTES)
