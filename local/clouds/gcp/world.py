"""The state of the fake Google Cloud, and what Google checks before it answers.

Nothing here is lenient on purpose: the token exchange verifies the subject token by the issuer's
discovery document and JWKS (over HTTPS), its `iss`, `aud` (the provider's allowed audiences, or its
own resource name when none are set) and `exp`, maps `google.subject` and evaluates the provider's
attribute condition in CEL; impersonation needs a binding that grants `iam.serviceAccounts.getAccessToken`
to the exchanged principal; reads need a role that grants their permission, and the API enabled.
"""

from __future__ import annotations

import json
import re
import secrets
import ssl
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import celpy
import jwt

# URNs and permission names, not secrets.
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105
SUBJECT_TOKEN_TYPES = ("urn:ietf:params:oauth:token-type:jwt", "urn:ietf:params:oauth:token-type:id_token")
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105
TOKEN_LIFETIME_S = 3600
GET_ACCESS_TOKEN = "iam.serviceAccounts.getAccessToken"  # noqa: S105

# What each role grants of the permissions the fake checks (a documented subset of Google's roles).
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "roles/iam.workloadIdentityUser": frozenset({GET_ACCESS_TOKEN}),
    "roles/iam.serviceAccountTokenCreator": frozenset({GET_ACCESS_TOKEN}),
    "roles/browser": frozenset({"resourcemanager.projects.get"}),
    "roles/viewer": frozenset(
        {
            "resourcemanager.projects.get",
            "compute.instances.list",
            "storage.buckets.list",
            "serviceusage.services.get",
        }
    ),
    "roles/cloudasset.viewer": frozenset(
        {"cloudasset.assets.listResource", "cloudasset.assets.searchAllResources"}
    ),
}
_POOL_ID = re.compile(r"^(?!gcp-)[a-z0-9-]{4,32}$")
_AUDIENCE = re.compile(
    r"^//iam\.googleapis\.com/(projects/(\d+)/locations/global/workloadIdentityPools/([^/]+)/providers/([^/]+))$"
)


class GoogleError(Exception):
    """An answer of Google's: the HTTP status and its JSON body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(json.dumps(body))
        self.status = status
        self.body = body


def api_error(
    status: int,
    code: str,
    message: str,
    reason: str | None = None,
    domain: str = "googleapis.com",
    **metadata: str,
) -> GoogleError:
    """Google's JSON error body (google.rpc.Status), with an ErrorInfo when there is a reason."""
    error: dict[str, Any] = {"code": status, "message": message, "status": code}
    if reason is not None:
        details: dict[str, Any] = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
            "domain": domain,
        }
        if metadata:
            details["metadata"] = metadata
        error["details"] = [details]
    return GoogleError(status, {"error": error})


def oauth_error(code: str, description: str) -> GoogleError:
    """STS and OAuth2 errors are RFC 6749 bodies, always with status 400."""
    return GoogleError(400, {"error": code, "error_description": description})


@dataclass
class Project:
    project_id: str
    number: str
    name: str
    bindings: dict[str, set[str]] = field(default_factory=dict)
    services: set[str] = field(default_factory=set)


@dataclass
class ServiceAccount:
    email: str
    project_id: str
    unique_id: str
    display_name: str = ""
    bindings: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class OidcProvider:
    name: str
    issuer_uri: str
    allowed_audiences: list[str]
    attribute_mapping: dict[str, str]
    attribute_condition: str | None = None
    disabled: bool = False

    def resource(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "state": "ACTIVE",
            "disabled": self.disabled,
            "attributeMapping": dict(self.attribute_mapping),
            "oidc": {"issuerUri": self.issuer_uri, "allowedAudiences": list(self.allowed_audiences)},
        }
        if self.attribute_condition:
            body["attributeCondition"] = self.attribute_condition
        return body


@dataclass
class Pool:
    name: str
    disabled: bool = False
    providers: dict[str, OidcProvider] = field(default_factory=dict)


@dataclass(frozen=True)
class IssuedToken:
    #: An IAM member: `principal://...` for an exchanged token, `serviceAccount:<email>` after impersonation.
    member: str
    expires_at: float


class GcpWorld:
    """Projects, service accounts, workload identity pools and the tokens issued, all in memory.

    `trust` verifies TLS when the token exchange fetches an issuer's discovery document and JWKS.
    """

    def __init__(self, trust: ssl.SSLContext, clock: Any = time.time) -> None:
        self._trust = trust
        self._clock = clock
        self._lock = threading.RLock()
        self.projects: dict[str, Project] = {}
        self.service_accounts: dict[str, ServiceAccount] = {}
        self.pools: dict[str, Pool] = {}  # by resource name
        self.tokens: dict[str, IssuedToken] = {}
        self.exchanges: list[dict[str, str]] = []  # what each token exchange was asked, for tests
        self._cel = celpy.Environment()

    # -- the customer's side (any bearer token not issued here stands for the project's owner) --

    def create_project(self, project_id: str, name: str = "") -> Project:
        with self._lock:
            if not re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", project_id):
                raise api_error(
                    400, "INVALID_ARGUMENT", f"Field [projectId] has an invalid value: {project_id}"
                )
            if project_id in self.projects:
                raise api_error(409, "ALREADY_EXISTS", "Requested entity already exists")
            number = str(100000000000 + len(self.projects) * 7919 + secrets.randbelow(7000))
            project = Project(project_id, number, name or project_id)
            self.projects[project_id] = project
            return project

    def project(self, project_id: str) -> Project:
        project = self.projects.get(project_id) or next(
            (each for each in self.projects.values() if each.number == project_id), None
        )
        if project is None:
            # Google does not tell a missing project from one the caller may not see.
            raise api_error(403, "PERMISSION_DENIED", "The caller does not have permission")
        return project

    def enable_service(self, project_id: str, service: str) -> None:
        with self._lock:
            self.project(project_id).services.add(service)

    def create_service_account(
        self, project_id: str, account_id: str, display_name: str = ""
    ) -> ServiceAccount:
        with self._lock:
            project = self.project(project_id)
            if not re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9]){5,29}", account_id):
                raise api_error(400, "INVALID_ARGUMENT", "Account ID must be between 6 and 30 characters.")
            email = f"{account_id}@{project.project_id}.iam.gserviceaccount.com"
            if email in self.service_accounts:
                raise api_error(
                    409,
                    "ALREADY_EXISTS",
                    f"Service account {account_id} already exists within project "
                    f"projects/{project.project_id}.",
                )
            account = ServiceAccount(
                email, project.project_id, str(10**20 + secrets.randbelow(10**20)), display_name
            )
            self.service_accounts[email] = account
            return account

    def service_account(self, email: str) -> ServiceAccount:
        account = self.service_accounts.get(email)
        if account is None:
            raise api_error(404, "NOT_FOUND", f"Unknown service account {email}")
        return account

    def create_pool(self, project: str, pool_id: str) -> Pool:
        with self._lock:
            number = self.project(project).number
            _check_id("workloadIdentityPoolId", pool_id)
            name = f"projects/{number}/locations/global/workloadIdentityPools/{pool_id}"
            if name in self.pools:
                raise api_error(409, "ALREADY_EXISTS", "Requested entity already exists")
            self.pools[name] = Pool(name)
            return self.pools[name]

    def pool(self, project: str, pool_id: str) -> Pool:
        name = f"projects/{self.project(project).number}/locations/global/workloadIdentityPools/{pool_id}"
        pool = self.pools.get(name)
        if pool is None:
            raise api_error(404, "NOT_FOUND", "Requested entity was not found.")
        return pool

    def create_provider(
        self, project: str, pool_id: str, provider_id: str, body: dict[str, Any]
    ) -> OidcProvider:
        with self._lock:
            pool = self.pool(project, pool_id)
            _check_id("workloadIdentityPoolProviderId", provider_id)
            if provider_id in pool.providers:
                raise api_error(409, "ALREADY_EXISTS", "Requested entity already exists")
            provider = OidcProvider(f"{pool.name}/providers/{provider_id}", "", [], {})
            self._update_provider(
                provider, body, ["oidc", "attributeMapping", "attributeCondition", "disabled"]
            )
            pool.providers[provider_id] = provider
            return provider

    def patch_provider(
        self, project: str, pool_id: str, provider_id: str, body: dict[str, Any], mask: list[str]
    ) -> OidcProvider:
        with self._lock:
            provider = self.provider(project, pool_id, provider_id)
            top = sorted({path.split(".")[0] for path in mask})
            updated = OidcProvider(**vars(provider))
            self._update_provider(updated, body, top)
            self.pool(project, pool_id).providers[provider_id] = updated
            return updated

    def provider(self, project: str, pool_id: str, provider_id: str) -> OidcProvider:
        provider = self.pool(project, pool_id).providers.get(provider_id)
        if provider is None:
            raise api_error(404, "NOT_FOUND", "Requested entity was not found.")
        return provider

    def _update_provider(self, provider: OidcProvider, body: dict[str, Any], fields: list[str]) -> None:
        if "oidc" in fields:
            self._update_oidc(provider, body.get("oidc") or {})
        if "attributeMapping" in fields:
            mapping = {str(key): str(value) for key, value in (body.get("attributeMapping") or {}).items()}
            if "google.subject" not in mapping:
                raise api_error(400, "INVALID_ARGUMENT", "The attribute mapping must map google.subject.")
            for expression in mapping.values():
                self._compiled(expression, "attributeMapping")
            provider.attribute_mapping = mapping
        if "attributeCondition" in fields:
            provider.attribute_condition = self._checked_condition(body.get("attributeCondition") or None)
        if "disabled" in fields:
            provider.disabled = bool(body.get("disabled", False))

    @staticmethod
    def _update_oidc(provider: OidcProvider, oidc: dict[str, Any]) -> None:
        issuer = str(oidc.get("issuerUri", ""))
        audiences = [str(each) for each in oidc.get("allowedAudiences", [])]
        if not issuer.startswith("https://"):
            raise api_error(400, "INVALID_ARGUMENT", "The issuer URI must use HTTPS.")
        if len(audiences) > 10 or any(not 0 < len(each) <= 256 for each in audiences):
            raise api_error(
                400, "INVALID_ARGUMENT", "At most 10 allowed audiences, each of at most 256 characters."
            )
        provider.issuer_uri, provider.allowed_audiences = issuer, audiences

    def _checked_condition(self, condition: str | None) -> str | None:
        if condition is not None:
            if len(condition) > 4096:
                raise api_error(
                    400, "INVALID_ARGUMENT", "The attribute condition is longer than 4096 characters."
                )
            self._compiled(condition, "attributeCondition")
        return condition

    def _compiled(self, expression: str, where: str) -> Any:
        try:
            return self._cel.program(self._cel.compile(expression))
        except Exception:
            raise api_error(
                400, "INVALID_ARGUMENT", f"The {where} is not a valid CEL expression: {expression}"
            ) from None

    # -- what Skylight calls --

    def exchange_token(self, form: dict[str, str]) -> dict[str, Any]:
        """STS `POST /v1/token`: a subject token from a trusted issuer for a federated access token."""
        self.exchanges.append(dict(form))
        if form.get("grant_type") != TOKEN_EXCHANGE:
            raise oauth_error("unsupported_grant_type", f"Unsupported grant type: {form.get('grant_type')}")
        if form.get("subject_token_type") not in SUBJECT_TOKEN_TYPES:
            raise oauth_error("invalid_request", 'Invalid value for "subject_token_type".')
        match = _AUDIENCE.match(form.get("audience", ""))
        if match is None:
            raise oauth_error(
                "invalid_request",
                'Invalid value for "audience". This value should be the full resource name of the '
                "Identity Provider.",
            )
        _, number, pool_id, provider_id = match.groups()
        pool = self.pools.get(f"projects/{number}/locations/global/workloadIdentityPools/{pool_id}")
        provider = pool.providers.get(provider_id) if pool is not None else None
        if pool is None or provider is None or pool.disabled or provider.disabled:
            raise oauth_error(
                "invalid_target",
                'The target service indicated by the "audience" parameters is invalid. This might either be '
                "because the pool or provider is disabled or deleted or because it doesn't exist.",
            )
        claims = self._verified_claims(form.get("subject_token", ""), provider)
        subject = self._mapped_subject(claims, provider)
        member = f"principal://iam.googleapis.com/{pool.name}/subject/{subject}"
        return {
            "access_token": self._issue(member),
            "issued_token_type": ACCESS_TOKEN_TYPE,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_S,
        }

    def _verified_claims(self, token: str, provider: OidcProvider) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise oauth_error("invalid_grant", "Unable to parse the ID Token.") from None
        if unverified.get("iss") != provider.issuer_uri:
            raise oauth_error(
                "invalid_grant",
                f"The issuer in ID Token {unverified.get('iss')} does not match the expected ones: "
                f"{provider.issuer_uri}.",
            )
        key = self._signing_key(provider.issuer_uri, header.get("kid"))
        audiences = provider.allowed_audiences or [
            f"//iam.googleapis.com/{provider.name}",
            f"https://iam.googleapis.com/{provider.name}",
        ]
        try:
            return jwt.decode(
                token,
                key=key,
                algorithms=["RS256", "ES384", "ES256", "RS384", "RS512"],
                audience=audiences,
                issuer=provider.issuer_uri,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.InvalidAudienceError:
            raise oauth_error(
                "invalid_grant", "The audience in ID Token does not match the expected audience."
            ) from None
        except jwt.ExpiredSignatureError:
            raise oauth_error("invalid_grant", "ID Token has expired.") from None
        except jwt.PyJWTError:
            raise oauth_error("invalid_grant", "Invalid ID Token signature.") from None

    def _signing_key(self, issuer: str, kid: str | None) -> Any:
        try:
            discovery = self._fetch(f"{issuer}/.well-known/openid-configuration")
            keys = self._fetch(str(discovery["jwks_uri"]))["keys"]
        except (OSError, ValueError, KeyError):
            raise oauth_error(
                "invalid_grant", f"Unable to fetch the discovery document of {issuer}."
            ) from None
        for key in keys:
            if key.get("kid") == kid:
                return jwt.PyJWK(key).key
        raise oauth_error("invalid_grant", "Invalid ID Token signature: no key of the issuer has its kid.")

    def _fetch(self, url: str) -> Any:
        with urllib.request.urlopen(url, context=self._trust, timeout=10) as response:  # noqa: S310 - https only
            return json.load(response)

    def _mapped_subject(self, claims: dict[str, Any], provider: OidcProvider) -> str:
        activation = {"assertion": celpy.json_to_cel(claims)}
        try:
            subject = str(
                self._compiled(provider.attribute_mapping["google.subject"], "mapping").evaluate(activation)
            )
        except Exception:
            raise oauth_error("invalid_grant", "The google.subject attribute mapping failed.") from None
        if len(subject.encode()) > 127:
            raise oauth_error(
                "invalid_grant", "The mapped attribute google.subject exceeds the 127 bytes limit."
            )
        if provider.attribute_condition:
            context = {**activation, "google.subject": celpy.json_to_cel(subject)}
            try:
                allowed = bool(self._compiled(provider.attribute_condition, "condition").evaluate(context))
            except Exception:
                allowed = False
            if not allowed:
                raise oauth_error(
                    "unauthorized_client", "The given credential is rejected by the attribute condition."
                )
        return subject

    def generate_access_token(self, bearer: str | None, email: str, body: dict[str, Any]) -> dict[str, Any]:
        """IAM credentials `generateAccessToken`: the service account's token, for a caller allowed to."""
        caller = self.caller(bearer)
        account = self.service_accounts.get(email)
        if account is None or not self._granted(account.bindings, caller.member, GET_ACCESS_TOKEN):
            raise api_error(
                403,
                "PERMISSION_DENIED",
                f"Permission '{GET_ACCESS_TOKEN}' denied on resource (or it may not exist).",
                reason="IAM_PERMISSION_DENIED",
                domain="iam.googleapis.com",
                permission=GET_ACCESS_TOKEN,
            )
        lifetime = int(str(body.get("lifetime", f"{TOKEN_LIFETIME_S}s")).rstrip("s") or TOKEN_LIFETIME_S)
        token = self._issue(f"serviceAccount:{email}", min(lifetime, TOKEN_LIFETIME_S))
        expires = datetime.fromtimestamp(self.tokens[token].expires_at, UTC)
        return {"accessToken": token, "expireTime": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}

    def caller(self, bearer: str | None) -> IssuedToken:
        """The member a bearer token stands for; a token not issued here is the customer (an owner)."""
        if not bearer:
            raise api_error(401, "UNAUTHENTICATED", "Request is missing required authentication credential.")
        issued = self.tokens.get(bearer)
        if issued is None:
            return IssuedToken("user:owner@customer.example", float("inf"))
        if issued.expires_at <= self._clock():
            raise api_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        return issued

    def require(
        self, bearer: str | None, project_id: str, permission: str, service: str | None = None
    ) -> Project:
        """The project, once the caller may `permission` on it and `service` is enabled there."""
        caller = self.caller(bearer)
        project = self.project(project_id)
        if caller.member.startswith("user:owner@"):
            return project
        if not self._granted(project.bindings, caller.member, permission):
            raise api_error(403, "PERMISSION_DENIED", "The caller does not have permission")
        if service is not None and service not in project.services:
            raise api_error(
                403,
                "PERMISSION_DENIED",
                f"{service} API has not been used in project {project.number} before or it is disabled.",
                reason="SERVICE_DISABLED",
                consumer=f"projects/{project.number}",
                service=service,
                activationUrl=f"https://console.developers.google.com/apis/api/{service}/overview?project={project.number}",
            )
        return project

    def _granted(self, bindings: dict[str, set[str]], member: str, permission: str) -> bool:
        for role, members in bindings.items():
            if permission in ROLE_PERMISSIONS.get(role, frozenset()) and any(
                _matches(each, member) for each in members
            ):
                return True
        return False

    def _issue(self, member: str, lifetime: int = TOKEN_LIFETIME_S) -> str:
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = IssuedToken(member, self._clock() + lifetime)
        return token


def policy_of(bindings: dict[str, set[str]]) -> dict[str, Any]:
    """An IAM policy document (version 1) of `bindings`."""
    return {
        "version": 1,
        "etag": "BwX" + secrets.token_hex(4),
        "bindings": [
            {"role": role, "members": sorted(members)}
            for role, members in sorted(bindings.items())
            if members
        ],
    }


def bindings_of(policy: dict[str, Any]) -> dict[str, set[str]]:
    bindings: dict[str, set[str]] = {}
    for binding in policy.get("bindings", []):
        bindings.setdefault(str(binding["role"]), set()).update(
            str(member) for member in binding.get("members", [])
        )
    return bindings


def _matches(granted: str, member: str) -> bool:
    """Whether a policy member covers `member`: itself, or a `principalSet://.../*` of its pool."""
    if granted == member:
        return True
    if granted.startswith("principalSet://") and granted.endswith("/*"):
        pool = granted.removeprefix("principalSet://").removesuffix("/*")
        return member.startswith(f"principal://{pool}/subject/")
    return False


def _check_id(field_name: str, value: str) -> None:
    if not _POOL_ID.fullmatch(value):
        raise api_error(
            400,
            "INVALID_ARGUMENT",
            f"Field {field_name} must be 4 to 32 characters of [a-z0-9-], not starting with gcp-.",
        )
