"""Who signed a request, worked out from moto's state.

moto keeps the identity behind an access key spread over three places: the account's IAM backend
(every key, with the role ARN for temporary keys or the user name for a user's keys), the STS
backend (the assumed-role sessions) and, for keys it never issued, nothing at all. AWS would reject
such unknown keys; moto treats them as the account's own credentials, so the emulator maps them to
the root of the account the request addresses (the `x-moto-account-id` header or the default account).
"""

from __future__ import annotations

from dataclasses import dataclass

from moto.iam.models import get_account_id_from, iam_backends
from moto.sts.models import sts_backends

from local.emulator.policy import Principal


@dataclass(frozen=True)
class Caller:
    """The identity behind one request."""

    #: The ARN AWS shows in error messages: user ARN, assumed-role session ARN or account root.
    arn: str
    account_id: str
    #: Every ARN a trust policy may use to name this caller.
    principal_arns: tuple[str, ...]
    #: The role behind an assumed-role session; None for users and account roots.
    role_arn: str | None = None
    #: The session policy passed to AssumeRole, if any.
    session_policy: str | None = None

    @property
    def is_root(self) -> bool:
        """Whether this is an account's root user (its own keys, or keys moto never issued)."""
        return self.role_arn is None and self.arn.endswith(":root")

    @property
    def principal(self) -> Principal:
        """This caller as a trust policy's `Principal` element sees it."""
        return Principal(account_id=self.account_id, arns=self.principal_arns)


def root_caller(account_id: str, partition: str) -> Caller:
    """The root user of an account."""
    arn = f"arn:{partition}:iam::{account_id}:root"
    return Caller(arn=arn, account_id=account_id, principal_arns=(arn,))


def resolve_caller(access_key_id: str, request_account_id: str, partition: str) -> Caller:
    """Return the identity behind `access_key_id`, falling back to the addressed account's root."""
    key_account = get_account_id_from(access_key_id)
    key = iam_backends[key_account][partition].access_keys.get(access_key_id)
    if key is None:
        return root_caller(request_account_id, partition)
    if key.role_arn:
        for session in sts_backends[key_account][partition].assumed_roles:
            if session.access_key_id == access_key_id:
                return Caller(
                    arn=session.arn,
                    account_id=key_account,
                    principal_arns=(session.arn, session.role_arn),
                    role_arn=session.role_arn,
                    session_policy=session.policy or None,
                )
    if key.user_name:
        user = iam_backends[key_account][partition].users.get(key.user_name)
        if user is not None:
            return Caller(arn=user.arn, account_id=key_account, principal_arns=(user.arn,))
    return root_caller(key_account, partition)
