"""Identity-policy enforcement for every user and role session, in every account.

moto never checks what an assumed role may do unless its global auth mode is on, and that mode
breaks Step Functions → Lambda (the engine signs with fixed fake keys) and cannot express
cross-account sessions. This patch wraps moto's per-request authorization hook,
`ActionAuthenticatorMixin._authenticate_and_authorize_action` (reached from every query, JSON and
REST service through `BaseResponse.call_action`, and from S3's bucket and key handlers), and acts on
requests signed with credentials of an assumed role or with an IAM user's access key, in any account
(the platform's own included): the action must be allowed by the role's (or the user's and its
groups') inline and attached managed policies (and, for roles, when set, by the permissions boundary
and the session policy), and an explicit Deny wins. The request's resources and condition keys come
from its parameters (`request_facts`): a grant on one table, key or state machine applies there only,
a KMS request is also held to the key's policy (`key_policies`), and a role handed to a service needs
`iam:PassRole`. Account roots (and moto's default credentials) stay unrestricted, as roots are in
AWS; moto's own auth mode, if someone turns it on, still runs afterwards.

`sts:GetCallerIdentity` is always allowed, as in AWS. EC2 `DryRun` works as in AWS: denied → the
`UnauthorizedOperation` raised here; allowed → moto's own `DryRunOperation`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.responses import BaseResponse
from moto.core.utils import get_service_model
from moto.iam.models import IAMBackend, ManagedPolicy, Role, User, get_account_id_from, iam_backends

from local.emulator.access_keys import find_access_key
from local.emulator.denials import deny, not_authorized_message
from local.emulator.key_policies import with_key_policy
from local.emulator.managed_policies import ensure_aws_managed_policy
from local.emulator.organizations import organization_id
from local.emulator.policy import Decision, Principal, Request, evaluate
from local.emulator.principals import Caller, resolve_caller
from local.emulator.request_facts import facts_of
from local.emulator.trust_policy import find_role, trust_names_directly

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
    """The IAM user who owns this long-term key, if any (None for an account root's key)."""
    key = find_access_key(access_key)
    account_id = get_account_id_from(access_key)
    if key is None or not key.user_name:
        return None
    for partition in ("aws", "aws-us-gov", "aws-cn"):
        backend = iam_backends[account_id][partition]
        if backend.access_keys.get(access_key) is key:
            user = backend.users.get(key.user_name)
            return (user, backend) if user is not None else None
    return None


@dataclass(frozen=True)
class _Signer:
    """An IAM principal that signed a request, and how its identity policies decide."""

    arn: str
    #: What `aws:PrincipalArn` says: the role (not the session) for an assumed role.
    principal_arn: str
    account_id: str
    principal: Principal
    decide: Callable[[Request], Decision]


def _signer_of(response: BaseResponse, access_key: str) -> _Signer | None:
    """The user or role session behind the key; None for an account root (never restricted here)."""
    if access_key.startswith("AKIA"):
        owner = _user_of(access_key)
        if owner is None:
            return None
        user, backend = owner
        documents = user_documents(user, backend)
        principal = Principal(account_id=user.account_id, arns=(user.arn,))
        return _Signer(user.arn, user.arn, user.account_id, principal, lambda r: evaluate(documents, r))
    caller = resolve_caller(access_key, response.current_account, response.partition)
    if caller.role_arn is None:
        return None
    return _Signer(
        caller.arn, caller.role_arn, caller.account_id, caller.principal, lambda r: decide(caller, r)
    )


def _known_resource(resource: str) -> str | None:
    # moto passes "*" (or "arn:aws:s3:::*" for S3) when it does not know the resource.
    return None if resource == "*" or resource.endswith(":::*") else resource


def authorize(response: BaseResponse, resource: str = "*") -> None:
    """Raise the service's access-denied error if the signing user or role session may not do this.

    Every account is held to IAM, the platform's own included; only account roots (and keys moto
    never issued, which it treats as roots) are unrestricted, as an account root is in AWS.
    """
    access_key = response.get_access_key()
    # Only temporary (STS) keys belong to role sessions and only long-term keys to users: skip the rest.
    if not access_key.startswith(("ASIA", "AKIA")):
        return
    action = iam_action(response)
    if action is None or action.lower() in _ALWAYS_ALLOWED:
        return
    signer = _signer_of(response, access_key)
    if signer is None:
        return
    facts = facts_of(response, action)
    context = {**_principal_context(response, signer), **facts.context}
    resources: list[str | None] = list(facts.resources) or [_known_resource(resource)]
    checks: list[tuple[str, str | None]] = list(facts.checks) or [(action, target) for target in resources]
    for action, target in checks:
        request = Request(action=action, resource=target, context=context)
        decision = signer.decide(request)
        if decision is Decision.IMPLICIT_DENY and _trusted_within_its_account(action, signer, request):
            decision = Decision.ALLOW
        if facts.kms_key_arn is not None:
            decision = with_key_policy(facts.kms_key_arn, signer.principal, request, decision)
        if decision is not Decision.ALLOW:
            _refuse(response, signer, action, target, decision)
    for passed in facts.passed_roles:
        passing = {**context, "iam:passedtoservice": [passed.service]}
        request = Request(action="iam:PassRole", resource=passed.role_arn, context=passing)
        decision = signer.decide(request)
        if decision is not Decision.ALLOW:
            _refuse(response, signer, "iam:PassRole", passed.role_arn, decision)


def _trusted_within_its_account(action: str, signer: _Signer, request: Request) -> bool:
    """A role's trust naming the caller's own ARN in the caller's account needs no identity grant."""
    if action.lower() != "sts:assumerole" or request.resource is None:
        return False
    if request.resource.split(":", 5)[4:5] != [signer.account_id]:
        return False
    return trust_names_directly(signer.principal, request.resource, request.context)


def _refuse(
    response: BaseResponse, signer: _Signer, action: str, resource: str | None, decision: Decision
) -> NoReturn:
    message = not_authorized_message(signer.arn, action, resource, decision is Decision.EXPLICIT_DENY)
    if response.boto3_service_name == "ec2":
        message = f"You are not authorized to perform this operation. {message}"
    raise deny(response, message)


def _principal_context(response: BaseResponse, signer: _Signer) -> dict[str, list[str]]:
    context = {
        "aws:requestedregion": [response.region],
        "aws:principalarn": [signer.principal_arn],
        "aws:principalaccount": [signer.account_id],
    }
    organization = organization_id(signer.account_id, response.partition)
    if organization is not None:
        context["aws:principalorgid"] = [organization]
    return context


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
