"""A small IAM policy evaluator, independent of moto.

moto's own evaluator (`moto.iam.access_control.IAMPolicyStatement`) cannot serve the emulator: it
only knows `Principal` values that are "*" or exact strings, ignores account ids and `:root`, turns a
failed condition on an Allow statement into an explicit *deny*, and does not escape regex characters
in patterns. This module implements the subset of the IAM evaluation logic the emulator needs:

* `Action` / `NotAction` with `*` and `?` wildcards (case-insensitive);
* `Resource` / `NotResource` (case-sensitive wildcards), with a defined behaviour when the emulator
  does not know the request's resource (see `Request.resource`);
* `Principal` / `NotPrincipal` for trust policies: "*", account ids, `arn:<partition>:iam::<acct>:root`
  and exact principal ARNs;
* `Condition` with the String*, Arn*, Numeric*, Bool and Null operators, the `...IfExists` suffix and the
  `ForAnyValue:` / `ForAllValues:` qualifiers. An operator the evaluator does not know makes an Allow
  statement not apply and a Deny statement apply (fail closed both ways);
* policy variables (`${aws:PrincipalOrgID}`) in condition values, replaced by the request's value of
  that key; a value whose variable the request does not carry matches nothing, as in AWS;
* explicit Deny wins over any Allow; nothing allowed means an implicit deny.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import eq, ge, gt, le, lt
from typing import Any
from urllib.parse import unquote

PolicyDocument = Mapping[str, Any]

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROOT_ARN = re.compile(r"^arn:[\w-]+:iam::(\d{12}):root$")


class Decision(enum.Enum):
    """The outcome of evaluating a set of policies against one request."""

    ALLOW = "allow"
    EXPLICIT_DENY = "explicit_deny"
    IMPLICIT_DENY = "implicit_deny"


@dataclass(frozen=True)
class Principal:
    """Who makes a request, as a `Principal` element of a trust policy can name it."""

    account_id: str
    #: Every ARN that names this principal: an assumed-role session is named by its session ARN and
    #: by its role's ARN.
    arns: tuple[str, ...]


@dataclass(frozen=True)
class Request:
    """One authorization question: may `principal` perform `action` on `resource`?"""

    action: str
    #: The resource ARN, or None when the emulator cannot tell which resource a request touches.
    #: An unknown resource matches every Allow statement (benefit of the doubt) but only the Deny
    #: statements whose `Resource` is "*" (a narrower Deny cannot be proven to apply).
    resource: str | None = None
    #: Set for resource-based (trust) policies, whose statements must name the principal.
    principal: Principal | None = None
    #: Condition keys, lower-cased, to the values the request carries. Absent keys are missing.
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)


def parse_document(document: str | PolicyDocument) -> PolicyDocument:
    """Return a policy document as a mapping; moto may hold it as (URL-encoded) JSON text."""
    if not isinstance(document, str):
        return document
    text = document.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        text = unquote(text)
    parsed = json.loads(text)
    if not isinstance(parsed, dict):
        raise ValueError("a policy document must be a JSON object")
    return parsed


def evaluate(documents: Iterable[str | PolicyDocument], request: Request) -> Decision:
    """Evaluate policies together: any applicable Deny wins, else any applicable Allow allows."""
    allowed = False
    for document in documents:
        for statement in _statements(parse_document(document)):
            if not _statement_applies(statement, request):
                continue
            if statement.get("Effect") == "Deny":
                return Decision.EXPLICIT_DENY
            if statement.get("Effect") == "Allow":
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def _statements(document: PolicyDocument) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    deny = statement.get("Effect") == "Deny"
    if not _action_matches(statement, request.action):
        return False
    if not _resource_matches(statement, request.resource, deny):
        return False
    if request.principal is not None and not _principal_matches(statement, request.principal):
        return False
    conditions = statement.get("Condition")
    if not conditions:
        return True
    holds = _conditions_hold(conditions, request.context)
    # An operator we cannot evaluate: never grant on it, never let it lift a Deny.
    return deny if holds is None else holds


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(_wildcard(p, ignore_case=True).match(action) for p in _as_list(statement["NotAction"]))
    return any(_wildcard(p, ignore_case=True).match(action) for p in _as_list(statement.get("Action")))


def _resource_matches(statement: Mapping[str, Any], resource: str | None, deny: bool) -> bool:
    if "Resource" not in statement and "NotResource" not in statement:
        return True  # trust policies have no Resource element
    if resource is None:
        return not deny or "*" in _as_list(statement.get("Resource"))
    if "NotResource" in statement:
        return not any(_wildcard(p).match(resource) for p in _as_list(statement["NotResource"]))
    return any(_wildcard(p).match(resource) for p in _as_list(statement["Resource"]))


def _principal_matches(statement: Mapping[str, Any], principal: Principal) -> bool:
    if "Principal" in statement:
        return _names_principal(statement["Principal"], principal)
    if "NotPrincipal" in statement:
        return not _names_principal(statement["NotPrincipal"], principal)
    return False  # a trust statement that names nobody grants nobody


def _names_principal(element: Any, principal: Principal) -> bool:
    if element == "*":
        return True
    if not isinstance(element, Mapping):
        return False
    # Service and Federated principals never match a caller signing with IAM credentials.
    for value in _as_list(element.get("AWS")):
        if value == "*" or value in principal.arns:
            return True
        if _ACCOUNT_ID.match(value) and value == principal.account_id:
            return True
        root = _ROOT_ARN.match(value)
        if root and root.group(1) == principal.account_id:
            return True
    return False


_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
    "NumericNotEquals",
}


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, Sequence[str]]) -> bool | None:
    """True if every condition holds, False if one fails, None if one cannot be evaluated."""
    unknown = False
    for operator, tests in conditions.items():
        for key, expected in dict(tests).items():
            values = _substituted([str(v) for v in _as_list(expected)], context)
            result = _condition_holds(operator, values, context.get(key.lower()))
            if result is False:
                return False
            unknown = unknown or result is None
    return None if unknown else True


_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def _substituted(values: list[str], context: Mapping[str, Sequence[str]]) -> list[str]:
    """Condition values with their policy variables replaced; one with an absent variable is dropped."""
    resolved = []
    for value in values:
        missing = False

        def replace(match: re.Match[str]) -> str:
            nonlocal missing
            found = context.get(match.group(1).lower())
            if not found:
                missing = True
                return ""
            return str(found[0])

        text = _VARIABLE.sub(replace, value)
        if not missing:
            resolved.append(text)
    return resolved


def _condition_holds(operator: str, expected: list[str], actual: Sequence[str] | None) -> bool | None:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    present = bool(actual)
    if base == "Null":
        return (not present) == any(v.lower() == "true" for v in expected)
    matcher = _MATCHERS.get(base.replace("Not", "", 1) if base in _NEGATED else base)
    if matcher is None or qualifier not in ("", "ForAnyValue", "ForAllValues"):
        return None
    negated = base in _NEGATED
    if not present:
        return if_exists or negated or qualifier == "ForAllValues"
    values = list(actual or ())
    hits = [any(matcher(pattern, value) for pattern in expected) for value in values]
    if qualifier == "ForAllValues":
        return all(not hit for hit in hits) if negated else all(hits)
    return not any(hits) if negated else any(hits)


def _string_like(pattern: str, value: str) -> bool:
    return _wildcard(pattern).match(value) is not None


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    """A Numeric* matcher: `compare(request value, policy value)`; a value that is no number never matches."""

    def matches(pattern: str, value: str) -> bool:
        try:
            return compare(float(value), float(pattern))
        except ValueError:
            return False

    return matches


_MATCHERS = {
    "StringEquals": lambda pattern, value: pattern == value,
    "StringEqualsIgnoreCase": lambda pattern, value: pattern.lower() == value.lower(),
    "StringLike": _string_like,
    "ArnEquals": _string_like,
    "ArnLike": _string_like,
    "Bool": lambda pattern, value: pattern.lower() == value.lower(),
    "NumericEquals": _numeric(eq),
    "NumericLessThan": _numeric(lt),
    "NumericLessThanEquals": _numeric(le),
    "NumericGreaterThan": _numeric(gt),
    "NumericGreaterThanEquals": _numeric(ge),
}


@functools.lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile an IAM pattern: `*` is any run of characters, `?` any one character."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.DOTALL | (re.IGNORECASE if ignore_case else 0))
