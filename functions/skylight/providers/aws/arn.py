"""IAM role ARNs: parsed strictly, because they go into STS calls and trust policies."""

from __future__ import annotations

import re
from dataclasses import dataclass

PARTITIONS = ("aws", "aws-us-gov", "aws-cn")

# IAM role names: 1-64 of [\w+=,.@-]; paths: "/" or "/segment/.../" of printable ASCII (IAM's own rule).
_ROLE_ARN = re.compile(
    r"^arn:(?P<partition>[a-z-]+):iam::(?P<account>\d{12}):role"
    r"(?P<path>/(?:[\x21-\x7e]+/)?)(?P<name>[\w+=,.@-]{1,64})$"
)


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


def parse_role_arn(value: str) -> RoleArn:
    """Parse an IAM role ARN in the aws, aws-us-gov or aws-cn partition (paths allowed)."""
    text = value.strip()
    if not text.startswith("arn:"):
        raise RoleArnError("must be an ARN starting with 'arn:'")
    parts = text.split(":", 5)
    if len(parts) != 6:
        raise RoleArnError("must look like arn:<partition>:iam::<12-digit account>:role/<name>")
    partition, service, region, account = parts[1], parts[2], parts[3], parts[4]
    if partition not in PARTITIONS:
        raise RoleArnError(f"partition must be one of {', '.join(PARTITIONS)}, not '{partition}'")
    if service != "iam" or region:
        raise RoleArnError("must be an IAM ARN (arn:<partition>:iam::...) with an empty region")
    if not re.fullmatch(r"\d{12}", account):
        raise RoleArnError("account must be exactly 12 digits")
    if not parts[5].startswith("role/"):
        raise RoleArnError("must name a role (…:role/<name>), not a user or another resource")
    match = _ROLE_ARN.match(text)
    if not match or len(match["path"]) > 512:
        raise RoleArnError("role name must be 1-64 characters of letters, digits and +=,.@_- (path allowed)")
    return RoleArn(match["partition"], match["account"], match["path"], match["name"])
