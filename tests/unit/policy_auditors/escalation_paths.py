"""A parliament auditor for escalation paths its community list (from 2019) leaves out.

Each is a write action that lets whoever holds it run code as another principal, or rewrite tags
that gate access, unless the statement's conditions close the path. Parliament loads this file by
path and calls `audit(policy)` for every policy it analyzes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _null_conditions(document: dict[str, Any]) -> set[str]:
    """The condition keys a statement requires to be absent from the request."""
    nulls = (document.get("Condition") or {}).get("Null") or {}
    return {key.lower() for key, value in nulls.items() if str(value).lower() == "true"}


def _condition_keys(document: dict[str, Any]) -> set[str]:
    return {key.lower() for block in (document.get("Condition") or {}).values() for key in block}


def _never(document: dict[str, Any]) -> bool:
    return False


# action -> whether a statement's conditions close the path it opens.
PATHS: dict[str, Callable[[dict[str, Any]], bool]] = {
    # Layers, and wrapper scripts named in the environment, run as the function's role.
    "lambda:UpdateFunctionConfiguration": _never,
    # A launch template swapped in starts instances with its own instance profile.
    "autoscaling:UpdateAutoScalingGroup": _never,
    # Another task definition runs other code with its own task role; exec runs commands in tasks.
    "ecs:UpdateService": lambda document: (
        {"ecs:task-definition", "ecs:enable-execute-command"} <= _null_conditions(document)
    ),
    # Tags may gate access (aws:ResourceTag conditions elsewhere): only at creation, or only some keys.
    "ec2:CreateTags": lambda document: bool({"ec2:createaction", "aws:tagkeys"} & _condition_keys(document)),
}


def audit(policy: Any) -> None:
    for statement in policy.statements:
        if not statement.effect_allow:
            continue
        document = statement.stmt()
        for action, closed in PATHS.items():
            prefix, name = action.split(":")
            if statement.in_actions(prefix, name) and not closed(document):
                policy.add_finding("PRIVILEGE_ESCALATION", location={"type": action, "actions": [action]})
