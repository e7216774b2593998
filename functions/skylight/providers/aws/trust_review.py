"""Reading a customer role's trust policy: who besides the platform principal could assume it.

The confused-deputy check proves the External ID is required. This review goes one step further:
a trust policy that names the whole platform account (or everyone) instead of the platform
principal still lets any identity there in, given the External ID.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from skylight.models.domain import StepOutcome


@dataclass(frozen=True)
class TrustReview:
    outcome: StepOutcome
    message: str


def parse_policy_document(document: Any) -> dict[str, Any]:
    """IAM returns trust policies URL-encoded; SDKs sometimes decode them already."""
    if isinstance(document, dict):
        return document
    text = unquote(str(document))
    parsed = json.loads(text)
    return parsed if isinstance(parsed, dict) else {}


def review_trust_policy(document: dict[str, Any], platform_principal_arn: str) -> TrustReview:
    """Say whether only the platform principal is trusted, and what to change if not."""
    partition, platform_account = platform_principal_arn.split(":")[1], platform_principal_arn.split(":")[4]
    principals = _trusted_principals(document)
    too_broad = sorted(
        p for p in principals if p in ("*", platform_account, f"arn:{partition}:iam::{platform_account}:root")
    )
    if too_broad:
        who = "everyone" if "*" in too_broad else f"the whole platform account ({too_broad[0]})"
        return TrustReview(
            StepOutcome.WARNING,
            f"the trust policy lets {who} assume this role with your External ID; "
            f"name only {platform_principal_arn} as Principal",
        )
    if platform_principal_arn not in principals:
        return TrustReview(
            StepOutcome.WARNING, f"the trust policy does not name {platform_principal_arn} directly"
        )
    return TrustReview(
        StepOutcome.PASSED, "only the platform principal is trusted, and only with your External ID"
    )


def _trusted_principals(document: dict[str, Any]) -> set[str]:
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    found: set[str] = set()
    for statement in statements:
        if statement.get("Effect") != "Allow" or not _allows_assume_role(statement.get("Action")):
            continue
        principal = statement.get("Principal")
        if principal == "*":
            found.add("*")
        elif isinstance(principal, dict):
            aws = principal.get("AWS", [])
            found.update([aws] if isinstance(aws, str) else aws)
    return found


def _allows_assume_role(action: Any) -> bool:
    actions = [action] if isinstance(action, str) else list(action or [])
    return any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions)
