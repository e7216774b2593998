"""KMS key policies, evaluated as AWS KMS does.

moto stores a key's policy but never reads it. In AWS a key policy is the first word on who may use
the key: a principal may use it if the key policy names that principal, or if the key policy names the
principal's account (`arn:aws:iam::<account>:root`, which delegates to IAM) and the principal's own
identity policies allow the request. An explicit Deny in either wins.
"""

from __future__ import annotations

from dataclasses import replace

from moto.kms.models import kms_backends

from local.emulator.policy import Decision, Principal, Request, evaluate


def _key_policy(key_arn: str) -> str | None:
    _, _, _, region, account_id, resource = key_arn.split(":", 5)
    if account_id not in kms_backends or region not in kms_backends[account_id]:
        return None
    key = kms_backends[account_id][region].keys.get(resource.removeprefix("key/"))
    return str(key.policy) if key is not None and key.policy else None


def with_key_policy(key_arn: str, principal: Principal, request: Request, identity: Decision) -> Decision:
    """Combine the identity-policy decision on a KMS request with the key's own policy."""
    policy = _key_policy(key_arn)
    if policy is None:
        return identity
    if identity is Decision.EXPLICIT_DENY:
        return identity
    if evaluate([policy], replace(request, principal=principal)) is Decision.EXPLICIT_DENY:
        return Decision.EXPLICIT_DENY
    # Named directly: the principal's ARNs only, not its account.
    direct = Principal(account_id="", arns=principal.arns)
    if evaluate([policy], replace(request, principal=direct)) is Decision.ALLOW:
        return Decision.ALLOW
    account = Principal(account_id=principal.account_id, arns=())
    delegated = evaluate([policy], replace(request, principal=account)) is Decision.ALLOW
    return Decision.ALLOW if delegated and identity is Decision.ALLOW else Decision.IMPLICIT_DENY
