"""IAM role ARNs: parsed strictly, because they go into STS calls and trust policies."""

from __future__ import annotations

import re
from dataclasses import dataclass

from skylight.providers.aws.identifiers import ROLE_NAME_PATTERN

PARTITIONS = ("aws", "aws-us-gov", "aws-cn")

# ROLE_ARN_PATTERN, with its parts named (the partition is checked against PARTITIONS first).
_ROLE_ARN = re.compile(
    r"arn:(?P<partition>[a-z-]+):iam::(?P<account>[0-9]{12}):role"
    r"(?P<path>/(?:[\x21-\x7e]{1,510}/)?)(?P<name>" + ROLE_NAME_PATTERN + ")"
)
_ACCOUNT_ID = re.compile(r"[0-9]{12}")


class RoleArnError(ValueError):
    """The ARN is not an IAM role ARN Skylight can use; the message says why."""


@dataclass(frozen=True)
class RoleArn:
    partition: str
    account_id: str
    path: str
    name: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:role{self.path}{self.name}"

    @property
    def identity(self) -> str:
        """What tells one role from another: IAM role names are unique in an account and not
        distinguished by case, whatever their path, so `Path/Reader` and `reader` are the same role."""
        return f"arn:{self.partition}:iam::{self.account_id}:role/{self.name.lower()}"


def parse_role_arn(value: str) -> RoleArn:
    """Parse an IAM role ARN in the aws, aws-us-gov or aws-cn partition (paths allowed).

    The whole string must be the ARN: nothing around it (not even a newline), ASCII only.
    """
    if value != value.strip():
        raise RoleArnError("must not start or end with spaces or line breaks")
    if not value.startswith("arn:"):
        raise RoleArnError("must be an ARN starting with 'arn:'")
    parts = value.split(":", 5)
    if len(parts) != 6:
        raise RoleArnError("must look like arn:<partition>:iam::<12-digit account>:role/<name>")
    partition, service, region, account = parts[1], parts[2], parts[3], parts[4]
    if partition not in PARTITIONS:
        raise RoleArnError(f"partition must be one of {', '.join(PARTITIONS)}, not '{partition[:32]}'")
    if service != "iam" or region:
        raise RoleArnError("must be an IAM ARN (arn:<partition>:iam::...) with an empty region")
    if not _ACCOUNT_ID.fullmatch(account):
        raise RoleArnError("account must be exactly 12 digits (0-9)")
    if not parts[5].startswith("role/"):
        raise RoleArnError("must name a role (…:role/<name>), not a user or another resource")
    match = _ROLE_ARN.fullmatch(value)
    if not match:
        raise RoleArnError(
            "role name must be 1-64 characters of A-Z, a-z, 0-9 and +=,.@_- after a path of printable "
            "ASCII of at most 512 characters"
        )
    return RoleArn(match["partition"], match["account"], match["path"], match["name"])
