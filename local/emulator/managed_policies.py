"""AWS managed policies on demand.

moto only knows AWS managed policies (ReadOnlyAccess, SecurityAudit, ...) when
`iam.load_aws_managed_policies` is on, and then it parses ~1,500 policies (about a second) for every
account's IAM backend. Customers attach such policies to the role they give Skylight, so this patch
makes `IAMBackend.attach_role_policy` / `attach_user_policy` / `attach_group_policy` / `get_policy`
create the one AWS managed policy they are asked for, from moto's bundled data, in that backend.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from moto.iam.models import AWSManagedPolicy, IAMBackend

_PATCH_MARK = "_skylight_managed_policies"
_PATCHED = ("attach_role_policy", "attach_user_policy", "attach_group_policy", "get_policy")


@functools.cache
def _bundled_policies() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = json.loads(aws_managed_policies_data)
    assert isinstance(data, dict)
    return data


def ensure_aws_managed_policy(backend: IAMBackend, policy_arn: str) -> None:
    """Add the AWS managed policy `policy_arn` to `backend` if moto bundles it and it is missing."""
    if policy_arn in backend.managed_policies or ":iam::aws:policy/" not in policy_arn:
        return
    name = policy_arn.rsplit("/", 1)[-1]
    data = _bundled_policies().get(name)
    if data is None:
        return
    policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
    if policy.arn == policy_arn:  # the path must match too (".../service-role/...")
        backend.managed_policies[policy.arn] = policy


def _with_managed_policy(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def method(self: IAMBackend, policy_arn: str, *args: Any, **kwargs: Any) -> Any:
        ensure_aws_managed_policy(self, policy_arn)
        return original(self, policy_arn, *args, **kwargs)

    setattr(method, _PATCH_MARK, True)
    return method


def install() -> None:
    """Let IAM attach and read AWS managed policies without loading them all (idempotent)."""
    for name in _PATCHED:
        current = getattr(IAMBackend, name)
        if not getattr(current, _PATCH_MARK, False):
            setattr(IAMBackend, name, _with_managed_policy(current))
