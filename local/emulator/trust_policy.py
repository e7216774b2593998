"""Trust-policy enforcement for STS AssumeRole.

moto grants every AssumeRole: a right, wrong or missing External ID, a principal the trust policy
does not name, even a role that does not exist. Its IAM auth mode does not help for cross-account
roles either (it looks the role up in the caller's account). This patch wraps
`moto.sts.responses.TokenResponse.assume_role` so that, before moto issues credentials, the role is
loaded from the IAM backend of the account in the role ARN (partition from the ARN) and its
AssumeRolePolicyDocument is evaluated against the caller and the request's `sts:ExternalId`. A
denial is STS's real error: HTTP 403, `AccessDenied`, "User: <caller> is not authorized to perform:
sts:AssumeRole on resource: <role>". As in AWS, an account root may not assume any role ("Roles may
not be assumed by root accounts."); only users and role sessions can.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from moto.iam.exceptions import NotFoundException
from moto.iam.models import Role, iam_backends
from moto.sts.responses import TokenResponse

from local.emulator.denials import deny
from local.emulator.policy import Decision, Principal, Request, evaluate
from local.emulator.principals import Caller, resolve_caller

_PATCH_MARK = "_skylight_trust_policy"


def find_role(role_arn: str) -> Role | None:
    """Load a role from the IAM backend of the account (and partition) its ARN names."""
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[4].isdigit():
        return None
    partition, account_id = parts[1], parts[4]
    if account_id not in iam_backends or partition not in iam_backends[account_id]:
        return None  # never touched, so it holds no roles; don't create backends for it
    try:
        return iam_backends[account_id][partition].get_role_by_arn(role_arn)
    except NotFoundException:
        return None


def may_assume_role(
    caller: Caller, role_arn: str, external_id: str | None, session_name: str | None = None
) -> bool:
    """Whether the role's trust policy lets `caller` assume it with this External ID."""
    role = find_role(role_arn)
    if role is None:
        return False
    context: dict[str, list[str]] = {
        "aws:principalarn": [caller.role_arn or caller.arn],
        "aws:principalaccount": [caller.account_id],
    }
    if external_id is not None:
        context["sts:externalid"] = [external_id]
    if session_name is not None:
        context["sts:rolesessionname"] = [session_name]
    request = Request(action="sts:AssumeRole", resource=role_arn, principal=caller.principal, context=context)
    return evaluate([role.assume_role_policy_document], request) is Decision.ALLOW


def trust_names_directly(principal: Principal, role_arn: str, context: Mapping[str, Sequence[str]]) -> bool:
    """Whether the role's trust policy allows `principal` by its own ARN (not through its account).

    Within one account such a trust is enough on its own, as in AWS: the caller needs no identity
    grant for sts:AssumeRole. A trust that names the account delegates to the caller's IAM instead.
    """
    role = find_role(role_arn)
    if role is None:
        return False
    named = Principal(account_id="", arns=principal.arns)
    request = Request(action="sts:AssumeRole", resource=role_arn, principal=named, context=context)
    return evaluate([role.assume_role_policy_document], request) is Decision.ALLOW


def _checked_assume_role(original: Callable[[TokenResponse], Any]) -> Callable[[TokenResponse], Any]:
    def assume_role(self: TokenResponse) -> Any:
        role_arn = str(self._get_param("RoleArn") or "")
        caller = resolve_caller(self.get_access_key(), self.current_account, self.partition)
        if caller.is_root:
            raise deny(self, "Roles may not be assumed by root accounts.", code="AccessDenied")
        external_id, session_name = self._get_param("ExternalId"), self._get_param("RoleSessionName")
        if not may_assume_role(caller, role_arn, external_id, session_name):
            action = "sts:AssumeRole"
            message = f"User: {caller.arn} is not authorized to perform: {action} on resource: {role_arn}"
            raise deny(self, message, code="AccessDenied")
        return original(self)

    setattr(assume_role, _PATCH_MARK, True)
    return assume_role


def install() -> None:
    """Make moto's STS AssumeRole evaluate the target role's trust policy (idempotent)."""
    if getattr(TokenResponse.assume_role, _PATCH_MARK, False):
        return
    patched = _checked_assume_role(TokenResponse.assume_role)
    TokenResponse.assume_role = patched  # type: ignore[method-assign,assignment]
