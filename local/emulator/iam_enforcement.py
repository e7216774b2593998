"""Identity-policy enforcement for sessions of roles in customer accounts.

moto never checks what an assumed role may do unless its global auth mode is on, and that mode
breaks Step Functions → Lambda (the engine signs with fixed fake keys) and cannot express
cross-account sessions. This patch wraps moto's per-request authorization hook,
`ActionAuthenticatorMixin._authenticate_and_authorize_action` (reached from every query, JSON and
REST service through `BaseResponse.call_action`, and from S3's bucket and key handlers), and only
acts on requests signed with credentials of an assumed role, or with an IAM user's access key, in an
account other than the platform account: the action must be allowed by the role's (or the user's and
its groups') inline and attached managed policies (and, for roles, when set, by the permissions
boundary and the session policy), and an explicit Deny wins. Everything else (the platform account,
moto's default credentials, account roots) stays unrestricted, and moto's own auth mode, if someone
turns it on, still runs afterwards.

`sts:GetCallerIdentity` is always allowed, as in AWS. EC2 `DryRun` works as in AWS: denied → the
`UnauthorizedOperation` raised here; allowed → moto's own `DryRunOperation`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.responses import BaseResponse
from moto.core.utils import get_service_model
from moto.iam.models import IAMBackend, ManagedPolicy, Role, User, get_account_id_from, iam_backends

from local.emulator.access_keys import find_access_key
from local.emulator.denials import deny, not_authorized_message
from local.emulator.managed_policies import ensure_aws_managed_policy
from local.emulator.policy import Decision, Request, evaluate
from local.emulator.principals import Caller, resolve_caller
from local.emulator.trust_policy import find_role

#: Requests from this account are never restricted (Skylight's own functions run there).
PLATFORM_ACCOUNT_ID = DEFAULT_ACCOUNT_ID

_PATCH_MARK = "_skylight_iam_enforcement"
_ALWAYS_ALLOWED = frozenset({"sts:getcalleridentity"})
# IAM prefixes that differ from the signing name in the credential scope.
_IAM_PREFIX = {"monitoring": "cloudwatch", "tagging": "tag"}
# botocore operation names whose IAM action is named differently.
_IAM_ACTION = {
    "lambda:Invoke": "lambda:InvokeFunction",
    "lambda:InvokeWithResponseStream": "lambda:InvokeFunction",
}


def iam_action(response: BaseResponse) -> str | None:
    """The IAM action (`service:Operation`) of the request `response` is handling, if known."""
    try:
        operation = response._get_action()
    except Exception:  # an unroutable request: let moto answer it
        return None
    if not operation:
        return None
    prefix = _signing_name(response)
    if not prefix:
        return None
    prefix = _IAM_PREFIX.get(prefix, prefix)
    if prefix == "apigateway":
        # API Gateway (v1 and v2) authorizes by HTTP method: apigateway:GET on /apis, ...
        return f"apigateway:{response.method.upper()}"
    action = f"{prefix}:{operation}"
    return _IAM_ACTION.get(action, action)


def _signing_name(response: BaseResponse) -> str | None:
    authorization = str(response.headers.get("Authorization", ""))
    scope = authorization.partition("Credential=")[2].partition(",")[0]
    if not scope:
        scope = str(response.querystring.get("X-Amz-Credential", [""])[0])
    parts = scope.split("/")
    if len(parts) >= 5:
        return parts[3]
    metadata = get_service_model(response.boto3_service_name).metadata
    name = metadata.get("signingName") or metadata.get("endpointPrefix")
    return str(name) if name else None


def _policy_documents(role: Role) -> list[str]:
    documents = list(role.policies.values())
    documents += [_default_version(policy) for policy in role.managed_policies.values()]
    return documents


def _default_version(policy: ManagedPolicy) -> str:
    return next(v.document for v in policy.versions if v.is_default)


def _boundary(role: Role) -> str | None:
    arn = role.permissions_boundary_arn
    if not arn:
        return None
    backend = iam_backends[role.account_id][role.partition]
    ensure_aws_managed_policy(backend, arn)
    policy = backend.managed_policies.get(arn)
    # A boundary that cannot be found allows nothing, as a deleted boundary does in AWS.
    return _default_version(policy) if policy else '{"Statement": []}'


def decide(caller: Caller, request: Request) -> Decision:
    """Evaluate what an assumed-role session may do: identity policies ∩ boundary ∩ session policy."""
    role = find_role(caller.role_arn or "")
    if role is None:
        return Decision.IMPLICIT_DENY
    layers: list[Iterable[str]] = [_policy_documents(role)]
    boundary = _boundary(role)
    if boundary is not None:
        layers.append([boundary])
    if caller.session_policy:
        layers.append([caller.session_policy])
    decisions = [evaluate(documents, request) for documents in layers]
    if Decision.EXPLICIT_DENY in decisions:
        return Decision.EXPLICIT_DENY
    return Decision.ALLOW if all(d is Decision.ALLOW for d in decisions) else Decision.IMPLICIT_DENY


def user_documents(user: User, backend: IAMBackend) -> list[str]:
    """The identity policies of a user: its own and its groups', inline and attached."""
    documents = list(user.policies.values()) + [_default_version(p) for p in user.managed_policies.values()]
    for group in backend.get_groups_for_user(user.name):
        documents += list(group.policies.values())
        documents += [_default_version(p) for p in group.managed_policies.values()]
    return documents


def _user_of(access_key: str) -> tuple[User, IAMBackend] | None:
    """The IAM user of a customer account who owns this long-term key, if any."""
    key = find_access_key(access_key)
    account_id = get_account_id_from(access_key)
    if key is None or not key.user_name or account_id == PLATFORM_ACCOUNT_ID:
        return None
    for partition in ("aws", "aws-us-gov", "aws-cn"):
        backend = iam_backends[account_id][partition]
        if backend.access_keys.get(access_key) is key:
            user = backend.users.get(key.user_name)
            return (user, backend) if user is not None else None
    return None


def _known_resource(resource: str) -> str | None:
    # moto passes "*" (or "arn:aws:s3:::*" for S3) when it does not know the resource.
    return None if resource == "*" or resource.endswith(":::*") else resource


def authorize(response: BaseResponse, resource: str = "*") -> None:
    """Raise the service's access-denied error if a customer-account role may not make this request."""
    access_key = response.get_access_key()
    # Only temporary (STS) keys belong to role sessions and only long-term keys to users: skip the rest.
    if not access_key.startswith(("ASIA", "AKIA")):
        return
    action = iam_action(response)
    if action is None or action.lower() in _ALWAYS_ALLOWED:
        return
    known = _known_resource(resource)
    if access_key.startswith("AKIA"):
        owner = _user_of(access_key)
        if owner is None:
            return  # an account root's key, or the platform's
        user, backend = owner
        principal_arn, principal_account = user.arn, user.account_id
        request = _request(response, action, known, principal_arn, principal_account)
        decision = evaluate(user_documents(user, backend), request)
    else:
        caller = resolve_caller(access_key, response.current_account, response.partition)
        if caller.role_arn is None or caller.account_id == PLATFORM_ACCOUNT_ID:
            return
        principal_arn = caller.arn
        decision = decide(caller, _request(response, action, known, caller.role_arn, caller.account_id))
    if decision is Decision.ALLOW:
        return
    message = not_authorized_message(principal_arn, action, known, decision is Decision.EXPLICIT_DENY)
    if response.boto3_service_name == "ec2":
        message = f"You are not authorized to perform this operation. {message}"
    raise deny(response, message)


def _request(
    response: BaseResponse, action: str, resource: str | None, principal: str, account: str
) -> Request:
    context = {
        "aws:requestedregion": [response.region],
        "aws:principalarn": [principal],
        "aws:principalaccount": [account],
    }
    return Request(action=action, resource=resource, context=context)


def _enforcing(original: Callable[..., None]) -> Callable[..., None]:
    def hook(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        authorize(self, resource)
        original(self, iam_request_cls, resource)

    setattr(hook, _PATCH_MARK, True)
    return hook


def install() -> None:
    """Enforce customer-account role policies on every request moto authorizes (idempotent)."""
    current = ActionAuthenticatorMixin._authenticate_and_authorize_action
    if getattr(current, _PATCH_MARK, False):
        return
    ActionAuthenticatorMixin._authenticate_and_authorize_action = _enforcing(current)  # type: ignore[method-assign]
