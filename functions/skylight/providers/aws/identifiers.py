"""The shapes of the AWS identifiers Skylight accepts, in one place for the parsers and the API document.

Each pattern is the whole value (`^...$`, matched with `re.fullmatch` here, so `$` never lets a
trailing newline through) and ASCII only: classes are written out (`[0-9]`, not `\\d`, which is
Unicode in Python and in pydantic). They are read by Python's `re`, by pydantic and by readers of
docs/openapi.json (ECMA-262), so they keep to what all three read alike.
"""

from __future__ import annotations

#: IAM role names: 1-64 of A-Z, a-z, 0-9 and +=,.@_- (IAM's `[\w+=,.@-]`, whose `\w` is ASCII).
ROLE_NAME_PATTERN = r"[A-Za-z0-9+=,.@_-]{1,64}"
#: A role ARN: a path is "/" or "/segment/.../" of printable ASCII, at most 512 characters. The path
#: ends at the ARN's last "/" (a name has none), so bounding its inner part to 510 bounds the path.
ROLE_ARN_PATTERN = (
    r"^arn:(?:aws|aws-us-gov|aws-cn):iam::[0-9]{12}:role/(?:[\x21-\x7e]{1,510}/)?" + ROLE_NAME_PATTERN + "$"
)
#: Long-term keys only: AKIA + 12-124 characters. Temporary (ASIA) keys expire within hours.
ACCESS_KEY_ID_PATTERN = r"^AKIA[A-Z0-9]{12,124}$"
SECRET_ACCESS_KEY_PATTERN = r"^[A-Za-z0-9/+=]{16,128}$"  # noqa: S105 - a shape, not a secret
