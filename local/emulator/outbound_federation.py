"""IAM outbound identity federation: an account's AWS-signed JWTs for external services.

moto implements none of it (NotImplementedError). This patch adds to moto's IAM responses
`EnableOutboundWebIdentityFederation` (returns the account's issuer; `FeatureEnabled`, HTTP 409, if
already enabled), `DisableOutboundWebIdentityFederation` (`FeatureDisabled`, 404, if not enabled) and
`GetOutboundWebIdentityFederationInfo` (the issuer and `JwtVendingEnabled`; `FeatureDisabled` for an
account that never enabled it), and to moto's STS responses `GetWebIdentityToken`.

A user or role session (an account root is refused, `AccessDenied`) of an account with federation
enabled (`OutboundWebIdentityFederationDisabledException`, 403, otherwise) gets a JWT signed with its
account's RS256 or ES384 key (made in this process, see `oidc_issuer`): `iss` the account's issuer,
`sub` the user's ARN or the session's role ARN, `aud` the audience (a list if several), `iat`, `exp`
(iat + DurationSeconds, default 300), `jti`, and under `https://sts.amazonaws.com/` the
`aws_account`, `source_region`, `org_id`, `principal_tags` and `request_tags`. Parameters are held to
the STS model's constraints, refused with STS's `ValidationError` wording; a token may not outlive
the session that asks for it (`SessionDurationEscalationException`). The identity-policy check of
`sts:GetWebIdentityToken` (condition keys `sts:IdentityTokenAudience`, and `sts:DurationSeconds` and
`sts:SigningAlgorithm` when the request passes them; `sts:TagGetWebIdentityToken` too with tags) is
`iam_enforcement`'s, done before the handler runs.

The issuer of an account is `https://127.0.0.1:<port>/<uuid>` (in AWS
`https://<uuid>.tokens.sts.global.api.aws`), served by `oidc_issuer` over HTTPS on loopback; the
server starts on first use, its test CA is `ca_bundle_path()`, and `EmulatorHandle.stop()` stops it.
An account's uuid is stable within the process. Whether an account has federation enabled lives in
its IAM backend and the tokens minted in its STS backend, so moto's reset (and a new `mock_aws`)
clears both. `minted_tokens()` lists every token minted since, for tests that search logs for
leaked secrets.
"""

from __future__ import annotations

import atexit
import datetime
import threading
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, EmptyResult
from moto.iam.models import IAMBackend, iam_backends
from moto.iam.responses import IamResponse
from moto.sts.exceptions import STSValidationError
from moto.sts.models import AssumedRole, sts_backends
from moto.sts.responses import TokenResponse

from local.emulator import oidc_issuer
from local.emulator.denials import deny
from local.emulator.organizations import organization_id
from local.emulator.principals import Caller, resolve_caller
from local.emulator.trust_policy import find_role

_PATCH_MARK = "_skylight_outbound_federation"
# On an IAM backend: True once enabled, False once disabled again; absent if never enabled.
_ENABLED = "_skylight_outbound_federation_enabled"
# On an STS backend: the tokens minted for its account.
_TOKENS = "_skylight_web_identity_tokens"

#: The claim namespace of AWS's own claims in a web identity token.
AWS_CLAIMS = "https://sts.amazonaws.com/"
DEFAULT_DURATION_SECONDS = 300
MIN_DURATION_SECONDS, MAX_DURATION_SECONDS = 60, 3600
MAX_AUDIENCES = 10
MAX_TAGS = 50

_lock = threading.Lock()
_issuer_ids: dict[tuple[str, str], str] = {}
_server: oidc_issuer.OidcIssuer | None = None


@dataclass(frozen=True)
class MintedToken:
    """A web identity token the emulated STS handed out."""

    token: str
    account_id: str
    subject: str
    audience: tuple[str, ...]
    algorithm: str
    issued_at: datetime.datetime
    expires_at: datetime.datetime


# --- the issuer ----------------------------------------------------------------------------------


def issuer_server() -> oidc_issuer.OidcIssuer:
    """The process's OIDC issuer server, started on first use."""
    global _server
    with _lock:
        if _server is None:
            _server = oidc_issuer.start_issuer(_is_published)
        return _server


def stop_issuer_server() -> None:
    """Stop the issuer server, if running (a later use starts a new one, on a new port and CA)."""
    global _server
    with _lock:
        server, _server = _server, None
    if server is not None:
        server.stop()


def ca_bundle_path() -> str:
    """The PEM file of the issuer server's CA: pass it to clients that fetch the discovery documents."""
    return issuer_server().ca_bundle_path


def issuer_id(account_id: str, partition: str = "aws") -> str:
    """The uuid naming the account's issuer, the same for the whole process."""
    with _lock:
        return _issuer_ids.setdefault((account_id, partition), str(uuid.uuid4()))


def issuer_of(account_id: str, partition: str = "aws") -> str:
    """The account's issuer URL, `https://127.0.0.1:<port>/<uuid>` (whether or not enabled)."""
    return f"{issuer_server().base_url}/{issuer_id(account_id, partition)}"


def _iam_backend(account_id: str, partition: str) -> IAMBackend | None:
    # Look before indexing: moto creates a backend for every account it is asked about.
    if account_id not in iam_backends or partition not in iam_backends[account_id]:
        return None
    return iam_backends[account_id][partition]


def _state(account_id: str, partition: str) -> bool | None:
    backend = _iam_backend(account_id, partition)
    return None if backend is None else getattr(backend, _ENABLED, None)


def is_enabled(account_id: str, partition: str = "aws") -> bool:
    """Whether the account has outbound identity federation enabled."""
    return _state(account_id, partition) is True


def _is_published(identifier: str) -> bool:
    with _lock:
        owners = [owner for owner, known in _issuer_ids.items() if known == identifier]
    return any(is_enabled(account_id, partition) for account_id, partition in owners)


def minted_token_records() -> list[MintedToken]:
    """Every web identity token the emulated STS minted since the last reset, in every account."""
    found: list[MintedToken] = []
    for _, by_partition in sts_backends.items():
        for _, backend in by_partition.items():
            found += getattr(backend, _TOKENS, [])
    return found


def minted_tokens() -> list[str]:
    """The text of every web identity token minted since the last reset (to search logs for)."""
    return [record.token for record in minted_token_records()]


# --- IAM -----------------------------------------------------------------------------------------


class _FeatureEnabled(ServiceException):
    code = "FeatureEnabled"


class _FeatureDisabled(ServiceException):
    code = "FeatureDisabled"


def enable_outbound_web_identity_federation(self: IamResponse) -> ActionResult:
    with _lock:
        if getattr(self.backend, _ENABLED, None) is True:
            raise _FeatureEnabled("Outbound identity federation is already enabled for this account.")
        setattr(self.backend, _ENABLED, True)
    return ActionResult({"IssuerIdentifier": issuer_of(self.current_account, self.partition)})


def disable_outbound_web_identity_federation(self: IamResponse) -> ActionResult:
    with _lock:
        if getattr(self.backend, _ENABLED, None) is not True:
            raise _FeatureDisabled("Outbound identity federation is already disabled for this account.")
        setattr(self.backend, _ENABLED, False)
    return EmptyResult()


def get_outbound_web_identity_federation_info(self: IamResponse) -> ActionResult:
    state = getattr(self.backend, _ENABLED, None)
    if state is None:
        raise _FeatureDisabled("Outbound identity federation is not enabled for this account.")
    issuer = issuer_of(self.current_account, self.partition)
    return ActionResult({"IssuerIdentifier": issuer, "JwtVendingEnabled": state})


# --- STS -----------------------------------------------------------------------------------------


class _FederationDisabled(ServiceException):
    code = "OutboundWebIdentityFederationDisabledException"


class _DurationEscalation(ServiceException):
    code = "SessionDurationEscalationException"


@dataclass(frozen=True)
class _TokenRequest:
    audience: list[str]
    duration: int
    algorithm: str
    tags: dict[str, str]


def get_web_identity_token(self: TokenResponse) -> ActionResult:
    request = _validated(self)
    caller = resolve_caller(self.get_access_key(), self.current_account, self.partition)
    if caller.is_root:
        message = f"User: {caller.arn} is not authorized to perform: sts:GetWebIdentityToken"
        raise deny(self, message, code="AccessDenied")
    if not is_enabled(caller.account_id, self.partition):
        raise _FederationDisabled(
            "Outbound web identity federation is not enabled for this account. To use this feature, "
            "you must first enable it through the AWS Management Console or API."
        )
    issued = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    expires = issued + datetime.timedelta(seconds=request.duration)
    session = _session_of(self.get_access_key(), caller, self.partition)
    if session is not None and expires > session.expiration.replace(tzinfo=datetime.UTC):
        raise _DurationEscalation(
            "The requested token duration would extend the session beyond its original expiration time."
        )
    subject = caller.role_arn or caller.arn
    claims = {
        "iss": issuer_of(caller.account_id, self.partition),
        "sub": subject,
        "aud": request.audience[0] if len(request.audience) == 1 else request.audience,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": str(uuid.uuid4()),
        AWS_CLAIMS: _aws_claims(caller, self.region, self.partition, request.tags),
    }
    key = oidc_issuer.signing_key(issuer_id(caller.account_id, self.partition), request.algorithm)
    token = jwt.encode(claims, key.private_key, algorithm=request.algorithm, headers={"kid": key.kid})
    record = MintedToken(
        token, caller.account_id, subject, tuple(request.audience), request.algorithm, issued, expires
    )
    backend = sts_backends[caller.account_id][self.partition]
    with _lock:
        tokens: list[MintedToken] = backend.__dict__.setdefault(_TOKENS, [])
        tokens.append(record)
    return ActionResult({"WebIdentityToken": token, "Expiration": expires})


def _session_of(access_key: str, caller: Caller, partition: str) -> AssumedRole | None:
    if caller.role_arn is None:
        return None
    sessions = sts_backends[caller.account_id][partition].assumed_roles
    return next((s for s in sessions if s.access_key_id == access_key), None)


def _aws_claims(caller: Caller, region: str, partition: str, request_tags: dict[str, str]) -> dict[str, Any]:
    claims: dict[str, Any] = {"aws_account": caller.account_id, "source_region": region}
    organization = organization_id(caller.account_id, partition)
    if organization is not None:
        claims["org_id"] = organization
    principal_tags = _principal_tags(caller, partition)
    if principal_tags:
        claims["principal_tags"] = principal_tags
    if request_tags:
        claims["request_tags"] = request_tags
    return claims


def _principal_tags(caller: Caller, partition: str) -> dict[str, str]:
    tags: Any = None
    if caller.role_arn is not None:
        role = find_role(caller.role_arn)
        tags = role.tags if role is not None else None
    else:
        backend = _iam_backend(caller.account_id, partition)
        user = backend.users.get(caller.arn.rsplit("/", 1)[-1]) if backend is not None else None
        tags = user.tags if user is not None else None
    return {str(tag["Key"]): str(tag["Value"]) for tag in tags or []}


# --- parameter validation, as STS words it --------------------------------------------------------


def _validated(response: TokenResponse) -> _TokenRequest:
    """The request's parameters, or STS's ValidationError naming every constraint they break."""
    errors: list[str] = []
    audience = response._get_param("Audience")
    errors += _list_errors(audience, "audience", 1, MAX_AUDIENCES)
    for index, value in enumerate(audience or [], start=1):
        errors += _string_errors(value, f"audience.{index}.member", 1, 1000)
    duration = response._get_param("DurationSeconds")
    if duration is not None:
        if int(duration) < MIN_DURATION_SECONDS:
            errors.append(
                _error(duration, "durationSeconds", f"value greater than or equal to {MIN_DURATION_SECONDS}")
            )
        elif int(duration) > MAX_DURATION_SECONDS:
            errors.append(
                _error(duration, "durationSeconds", f"value less than or equal to {MAX_DURATION_SECONDS}")
            )
    algorithm = response._get_param("SigningAlgorithm")
    errors += _string_errors(algorithm, "signingAlgorithm", 5, 5, required=True)
    tags = response._get_param("Tags")
    errors += _list_errors(tags, "tags", 0, MAX_TAGS, required=False)
    for index, tag in enumerate(tags or [], start=1):
        prefix = f"tags.{index}.member"
        errors += _string_errors(tag.get("Key"), f"{prefix}.key", 1, 128, required=True, pattern=True)
        errors += _string_errors(tag.get("Value"), f"{prefix}.value", 0, 256, required=True, pattern=True)
    if not errors and algorithm not in oidc_issuer.ALGORITHMS:
        allowed = ", ".join(oidc_issuer.ALGORITHMS)
        errors.append(_error(algorithm, "signingAlgorithm", f"satisfy enum value set: [{allowed}]", "must"))
    if errors:
        count = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected"
        raise STSValidationError(f"{count}: {'; '.join(errors)}")
    return _TokenRequest(
        audience=[str(value) for value in audience],
        duration=int(duration) if duration is not None else DEFAULT_DURATION_SECONDS,
        algorithm=str(algorithm),
        tags={str(tag["Key"]): str(tag["Value"]) for tag in tags or []},
    )


def _rendered(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "'[" + ", ".join(str(item) for item in value) + "]'"
    return f"'{value}'"


def _error(value: Any, member: str, constraint: str, verb: str = "must have") -> str:
    return f"Value {_rendered(value)} at '{member}' failed to satisfy constraint: Member {verb} {constraint}"


def _list_errors(
    value: Sequence[Any] | None, member: str, least: int, most: int, required: bool = True
) -> list[str]:
    if value is None:
        return [_error(None, member, "be null", "must not")] if required else []
    if len(value) < least:
        return [_error(value, member, f"length greater than or equal to {least}")]
    if len(value) > most:
        return [_error(value, member, f"length less than or equal to {most}")]
    return []


_TAG_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]"


def _tag_character(character: str) -> bool:
    return character in "_.:/=+-@" or unicodedata.category(character)[0] in "LZN"


def _string_errors(
    value: Any, member: str, least: int, most: int, required: bool = True, pattern: bool = False
) -> list[str]:
    if value is None:
        return [_error(None, member, "be null", "must not")] if required else []
    text = str(value)
    if len(text) < least:
        return [_error(text, member, f"length greater than or equal to {least}")]
    if len(text) > most:
        return [_error(text, member, f"length less than or equal to {most}")]
    if pattern and not all(_tag_character(c) for c in text):
        suffix = "+" if least else "*"
        return [_error(text, member, f"satisfy regular expression pattern: {_TAG_PATTERN}{suffix}", "must")]
    return []


# --- installation --------------------------------------------------------------------------------

_IAM_HANDLERS = (
    enable_outbound_web_identity_federation,
    disable_outbound_web_identity_federation,
    get_outbound_web_identity_federation_info,
)


def install() -> None:
    """Add the outbound-federation operations to moto's IAM and STS responses (idempotent)."""
    if getattr(TokenResponse, _PATCH_MARK, False):
        return
    for handler in _IAM_HANDLERS:
        setattr(IamResponse, handler.__name__, handler)
    TokenResponse.get_web_identity_token = get_web_identity_token  # type: ignore[attr-defined]
    setattr(TokenResponse, _PATCH_MARK, True)
    atexit.register(stop_issuer_server)
