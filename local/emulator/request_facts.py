"""What an authorization decision needs to know about a request: its resources and condition keys.

moto hands its authorization hook "*" as the resource of almost every request and no condition keys,
so a policy scoped to one table, one key or one state machine, or conditioned on an encryption
context, could not be evaluated. This module reads them from the request's own parameters, for the
services Skylight's functions call (DynamoDB, KMS, Step Functions, EventBridge Scheduler, STS,
Lambda); for any other request the resource stays unknown (see `policy.Request.resource`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from moto.core.responses import BaseResponse

from local.emulator.organizations import organization_id


@dataclass(frozen=True)
class PassedRole:
    """A role the request hands to a service, which needs `iam:PassRole` on it."""

    role_arn: str
    service: str


@dataclass
class RequestFacts:
    #: The ARNs the request touches; empty when the emulator cannot tell.
    resources: list[str] = field(default_factory=list)
    #: Service-specific condition keys, lower-cased, to their values.
    context: dict[str, list[str]] = field(default_factory=dict)
    passed_roles: list[PassedRole] = field(default_factory=list)
    #: Set for KMS requests on a known key: the key's own policy also decides.
    kms_key_arn: str | None = None
    #: Requests IAM authorizes as other actions, one per part: (action, resource) pairs to check
    #: instead of the request's own action on `resources` (DynamoDB transactions; STS
    #: GetWebIdentityToken with tags). A resource of None is one the emulator cannot tell.
    checks: list[tuple[str, str | None]] = field(default_factory=list)


def facts_of(response: BaseResponse, action: str) -> RequestFacts:
    """Resources and condition keys of the request `response` is handling."""
    service = action.split(":", 1)[0].lower()
    reader = _READERS.get(service)
    facts = reader(_Params(response), action) if reader is not None else RequestFacts()
    for resource in facts.resources:
        _add_resource_keys(facts.context, resource, response.partition)
    return facts


class _Params:
    """A request's parameters, whatever its protocol (query, JSON body, REST path)."""

    def __init__(self, response: BaseResponse) -> None:
        self.response = response
        self.region = response.region
        self.account = response.current_account
        self.partition = response.partition
        self._body: dict[str, Any] | None = None

    def get(self, name: str) -> Any:
        value = self.response._get_param(name)
        if value is None:
            value = self.body().get(name)
        return value

    def body(self) -> dict[str, Any]:
        if self._body is None:
            try:
                parsed = json.loads(self.response.body or "{}")
            except (TypeError, ValueError):
                parsed = {}
            self._body = parsed if isinstance(parsed, dict) else {}
        return self._body

    def path_after(self, marker: str) -> str | None:
        path = str(self.response.path or "")
        if marker not in path:
            return None
        return unquote(path.split(marker, 1)[1].split("/", 1)[0]) or None

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        return f"arn:{self.partition}:{service}:{self.region if region else ''}:{self.account}:{resource}"


# IAM has no action for a DynamoDB transaction: each part needs the action of its kind.
_TRANSACTION_PARTS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}


def _dynamodb(params: _Params, action: str) -> RequestFacts:
    def table_arn(table: str) -> str:
        return table if table.startswith("arn:") else params.arn("dynamodb", f"table/{table}")

    facts = RequestFacts()
    for item in params.get("TransactItems") or []:
        for kind, operation in item.items():
            if isinstance(operation, dict) and operation.get("TableName") and kind in _TRANSACTION_PARTS:
                facts.checks.append((_TRANSACTION_PARTS[kind], table_arn(str(operation["TableName"]))))
    tables: list[str] = []
    if params.get("TableName"):
        tables.append(str(params.get("TableName")))
    tables += list((params.get("RequestItems") or {}).keys())
    index = params.get("IndexName")
    for table in dict.fromkeys(tables):
        facts.resources.append(f"{table_arn(table)}/index/{index}" if index else table_arn(table))
    facts.resources += [
        resource for _, resource in facts.checks if resource and resource not in facts.resources
    ]
    return facts


def _kms(params: _Params, action: str) -> RequestFacts:
    from moto.kms.models import kms_backends

    facts = RequestFacts()
    key_id = params.get("KeyId")
    if key_id:
        backend = kms_backends[params.account][params.region]
        try:
            key = backend.keys[backend.any_id_to_key_id(str(key_id))]
        except (KeyError, TypeError):
            key = None  # moto answers NotFound itself
        if key is not None:
            facts.resources.append(key.arn)
            facts.kms_key_arn = key.arn
    encryption_context = params.get("EncryptionContext") or {}
    if isinstance(encryption_context, dict):
        for name, value in encryption_context.items():
            facts.context[f"kms:encryptioncontext:{name}".lower()] = [str(value)]
        if encryption_context:
            facts.context["kms:encryptioncontextkeys"] = [str(name) for name in encryption_context]
    if params.get("MacAlgorithm"):
        facts.context["kms:macalgorithm"] = [str(params.get("MacAlgorithm"))]
    return facts


def _states(params: _Params, action: str) -> RequestFacts:
    arns = [params.get(name) for name in ("stateMachineArn", "executionArn")]
    return RequestFacts(resources=[str(arn) for arn in arns if arn])


def _scheduler(params: _Params, action: str) -> RequestFacts:
    name = params.path_after("/schedules/")
    facts = RequestFacts()
    if name:
        group = params.response.querystring.get("groupName", [None])[0] or params.get("GroupName")
        facts.resources.append(params.arn("scheduler", f"schedule/{group or 'default'}/{name}"))
    target = params.get("Target") or {}
    if isinstance(target, dict) and target.get("RoleArn"):
        facts.passed_roles.append(PassedRole(str(target["RoleArn"]), "scheduler.amazonaws.com"))
    return facts


def _sts(params: _Params, action: str) -> RequestFacts:
    role_arn = params.get("RoleArn")
    facts = RequestFacts(resources=[str(role_arn)] if role_arn else [])
    for name, key in (("ExternalId", "sts:externalid"), ("RoleSessionName", "sts:rolesessionname")):
        if params.get(name) is not None:
            facts.context[key] = [str(params.get(name))]
    if action.lower() == "sts:getwebidentitytoken":
        _web_identity_token(params, facts)
    return facts


def _web_identity_token(params: _Params, facts: RequestFacts) -> None:
    """`sts:IdentityTokenAudience` holds every audience; tags also need `sts:TagGetWebIdentityToken`."""
    for name, key in (
        ("DurationSeconds", "sts:durationseconds"),
        ("SigningAlgorithm", "sts:signingalgorithm"),
    ):
        if params.get(name) is not None:
            facts.context[key] = [str(params.get(name))]
    audience = params.get("Audience")
    if isinstance(audience, list) and audience:
        facts.context["sts:identitytokenaudience"] = [str(value) for value in audience]
    tags = [tag for tag in params.get("Tags") or [] if isinstance(tag, dict) and tag.get("Key") is not None]
    if tags:
        for tag in tags:
            facts.context[f"aws:requesttag/{tag['Key']}".lower()] = [str(tag.get("Value", ""))]
        facts.context["aws:tagkeys"] = [str(tag["Key"]) for tag in tags]
        facts.checks += [("sts:GetWebIdentityToken", None), ("sts:TagGetWebIdentityToken", None)]


def _lambda(params: _Params, action: str) -> RequestFacts:
    name = params.path_after("/functions/")
    if not name:
        return RequestFacts()
    arn = name if name.startswith("arn:") else params.arn("lambda", f"function:{name}")
    return RequestFacts(resources=[arn])


_READERS: dict[str, Callable[[_Params, str], RequestFacts]] = {
    "dynamodb": _dynamodb,
    "kms": _kms,
    "states": _states,
    "scheduler": _scheduler,
    "sts": _sts,
    "lambda": _lambda,
}


def _add_resource_keys(context: dict[str, list[str]], resource: str, partition: str) -> None:
    """`aws:ResourceAccount` and `aws:ResourceOrgID` of the (first) resource with an account."""
    parts = resource.split(":", 5)
    if "aws:resourceaccount" in context or len(parts) < 5 or not parts[4].isdigit():
        return
    context["aws:resourceaccount"] = [parts[4]]
    organization = organization_id(parts[4], partition)
    if organization is not None:
        context["aws:resourceorgid"] = [organization]
