"""Request and response bodies of API v1. Mapped explicitly from the domain: storage never leaks out."""

from __future__ import annotations

import importlib
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, Union

from aws_lambda_powertools import Logger
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    create_model,
    model_validator,
)

from skylight.models.domain import (
    DEFAULT_CRAWL_INTERVAL_MINUTES,
    MAX_CRAWL_INTERVAL_MINUTES,
    MIN_CRAWL_INTERVAL_MINUTES,
    Access,
    Account,
    AccountStatus,
    CredentialAge,
    ValidationStep,
)
from skylight.models.inventory import Crawl
from skylight.providers import base

logger = Logger(child=True)

# A display name, not an identifier: any script is welcome (full-width letters, Arabic-Indic digits),
# but nothing that hides, reorders or breaks what is shown: no control characters (C0, DEL, C1),
# no format characters of the Basic Multilingual Plane (zero-width, bidi controls, soft hyphen, BOM:
# its Unicode `Cf`), no line or paragraph separators, and no blank (`Z`) at either end. Spelled as
# `\uXXXX` ranges rather than `\p{..}`: read alike by pydantic, Python and ECMA-262, and values can
# be generated from them (tests/unit/test_identifiers.py checks them against Unicode's categories).
NAME_CONTROLS = r"\u0000-\u001f\u007f-\u009f"
NAME_FORMAT = (
    r"\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
NAME_LINE_BREAKS = r"\u2028\u2029"
NAME_BLANKS = r"\u0020\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_NAME_INSIDE = NAME_CONTROLS + NAME_FORMAT + NAME_LINE_BREAKS
_NAME_ENDS = _NAME_INSIDE + NAME_BLANKS
ACCOUNT_NAME_PATTERN = rf"^[^{_NAME_ENDS}](?:[^{_NAME_INSIDE}]*[^{_NAME_ENDS}])?$"
AccountName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=ACCOUNT_NAME_PATTERN),
    Field(
        description="1-64 characters of any script; no control or format characters, no line breaks, "
        "no blank at either end"
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def provider_api_models() -> dict[str, ModuleType]:
    """Every provider's `api_models` module, by provider name: pydantic models only, no cloud SDK.

    One that fails to import is left out (and logged): the API then refuses that provider's requests
    with a 400 naming the field, and every other provider's work on."""
    modules = {}
    for name in sorted(base.provider_names()):
        try:
            modules[name] = importlib.import_module(f"skylight.providers.{name}.api_models")
        except Exception as error:
            logger.error(
                "provider API models unavailable", extra={"provider": name, "error": type(error).__name__}
            )
    return modules


#: Each provider's own API models (`skylight.providers.<name>.api_models`), found by convention.
PROVIDER_API_MODELS: dict[str, ModuleType] = provider_api_models()

#: The union members' tags, which pydantic puts in error locations (`aws.credentials.access_key.x`).
UNION_TAGS = frozenset(PROVIDER_API_MODELS).union(
    *(module.CREDENTIAL_TYPES for module in PROVIDER_API_MODELS.values())
)
#: Kept for readers of the AWS-only name.
CREDENTIAL_TYPES = UNION_TAGS


def _union(members: list[Any], discriminator: str) -> Any:
    """`members` as a union discriminated on `discriminator` (one member too: still a `oneOf`)."""
    return Annotated[Union[tuple(members)], Field(discriminator=discriminator)]  # noqa: UP007


CrawlInterval = Annotated[
    int,
    Field(
        ge=MIN_CRAWL_INTERVAL_MINUTES,
        le=MAX_CRAWL_INTERVAL_MINUTES,
        description="Minutes between scheduled crawls (15 minutes to 7 days)",
    ),
]


#: The README's connect request; the contract run creates this role, so the example really connects.
CONNECT_EXAMPLE: dict[str, Any] = {
    "provider": "aws",
    "name": "Production",
    "access": "read_only",
    "credentials": {"type": "role", "role_arn": "arn:aws:iam::111122223333:role/SkylightAccess"},
}


class _ConnectFields(_Strict):
    """What connecting asks of every provider; each adds its `provider` tag and its `credentials`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [dict(CONNECT_EXAMPLE)]})

    name: AccountName
    access: Access = Access.READ_ONLY
    crawl_interval_minutes: CrawlInterval = DEFAULT_CRAWL_INTERVAL_MINUTES


def _connect_request(provider: str, module: ModuleType) -> type[_ConnectFields]:
    """`<Provider>ConnectRequest`: the common fields, `provider: Literal[provider]` and its credentials."""
    tag: Any = Literal[provider]
    model: type[_ConnectFields] = create_model(
        f"{provider.capitalize()}ConnectRequest",
        __base__=_ConnectFields,
        __doc__=f"Connect an account on `{provider}`.",
        __module__=__name__,
        provider=(tag, ...),
        credentials=(_union(list(module.CREDENTIAL_MODELS), "type"), ...),
    )
    return model


def connect_requests(modules: dict[str, ModuleType]) -> dict[str, type[_ConnectFields]]:
    """By provider, the connect request's member for it."""
    return {name: _connect_request(name, module) for name, module in modules.items()}


def connect_request_union(requests: dict[str, type[_ConnectFields]]) -> Any:
    """The connect request: one of `requests`, discriminated on `provider`."""
    return _union(list(requests.values()), "provider")


CONNECT_REQUESTS = connect_requests(PROVIDER_API_MODELS)


class CredentialsBody(Protocol):
    """What every provider's credential body offers: its plain values, for the provider's parser."""

    def as_dict(self) -> dict[str, Any]: ...


if TYPE_CHECKING:
    # The checker sees what every member has; the unions are assembled at import time below.
    CredentialsIn = CredentialsBody

    class ConnectAccountRequest(_ConnectFields):
        provider: str
        credentials: CredentialsBody

else:
    #: Any provider's credentials, discriminated on `type`.
    CredentialsIn = _union(
        [model for module in PROVIDER_API_MODELS.values() for model in module.CREDENTIAL_MODELS], "type"
    )
    #: `provider` selects the cloud (today `aws` with a cross-account role or an access key).
    ConnectAccountRequest = connect_request_union(CONNECT_REQUESTS)


class ReplaceCredentialsRequest(_Strict):
    """The same `credentials` object as when connecting, of the account's type."""

    credentials: CredentialsIn


class RestoreAccountRequest(_Strict):
    """Roles: nothing (the role is validated again). Access keys: new credentials (the old were destroyed)."""

    credentials: CredentialsIn | None = None


def _at_least_one_not_null(schema: dict[str, Any]) -> None:
    """The schema of a partial update: some field must be given, and null is no field's value (the
    model says `| None` only so that an absent field reads as None)."""
    schema["minProperties"] = 1
    for field in schema["properties"].values():
        (given,) = [variant for variant in field.pop("anyOf") if variant.get("type") != "null"]
        field.pop("default", None)
        field.update(given)


class UpdateAccountRequest(_Strict):
    """Rename the account and/or change its crawl schedule; at least one field, neither null."""

    # "At least one field, neither null" is in the document too.
    model_config = ConfigDict(extra="forbid", json_schema_extra=_at_least_one_not_null)

    name: AccountName | None = None
    crawl_interval_minutes: CrawlInterval | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> UpdateAccountRequest:
        if self.name is None and self.crawl_interval_minutes is None:
            raise ValueError("give name and/or crawl_interval_minutes")
        if any(getattr(self, field) is None for field in self.model_fields_set):
            raise ValueError("name and crawl_interval_minutes cannot be null")
        return self


class PermissionCheckOut(BaseModel):
    service: str
    action: str
    kind: str
    granted: bool | None
    provider_error_code: str | None = None


class PermissionsOut(BaseModel):
    checked: list[str]
    granted: list[str]
    missing: list[str]
    coverage: list[PermissionCheckOut]


class _ProviderTagged(BaseModel):
    """What the type checker sees of a union of providers' models: each has its `provider` tag."""

    provider: str


def _provider_union(model_name: str) -> Any:
    """Every provider's `model_name` (from its `api_models`), one union discriminated on `provider`."""
    return _union([getattr(module, model_name) for module in PROVIDER_API_MODELS.values()], "provider")


if TYPE_CHECKING:
    AccountIdentityOut = _ProviderTagged
    OnboardingKitOut = _ProviderTagged
else:
    #: Who Skylight is in the account, in its provider's own schema.
    AccountIdentityOut = _provider_union("ACCOUNT_IDENTITY_MODEL")
    #: Any provider's onboarding kit, in its own schema.
    OnboardingKitOut = _provider_union("ONBOARDING_KIT_MODEL")

_ACCOUNT_IDENTITY: TypeAdapter[AccountIdentityOut] = TypeAdapter(AccountIdentityOut)


class AccountOut(BaseModel):
    id: str
    provider: str
    name: str
    access: Access
    status: AccountStatus
    provider_account_id: str | None
    identity: AccountIdentityOut
    identity_arn: str | None = Field(description="AWS: `identity.identity_arn`, kept for v1 clients")
    credentials: dict[str, str]
    permissions: PermissionsOut
    connected_at: datetime
    updated_at: datetime
    last_validated_at: datetime | None
    last_validation_result: str | None
    disconnected_at: datetime | None
    retained_until: datetime | None
    crawl_interval_minutes: int
    external_id_generation: int | None = Field(
        description="AWS roles: `identity.external_id_generation`, kept for v1 clients"
    )
    credentials_updated_at: datetime | None
    credential_age: CredentialAge | None = Field(
        description="Stored credentials only: age and rotation status"
    )
    steps: list[ValidationStep]

    @classmethod
    def of(cls, account: Account, credential_age: CredentialAge | None = None) -> AccountOut:
        """Only the fields declared here leave the service; storage-only fields never do."""
        shown = account.model_dump(include=set(cls.model_fields) - {"permissions", "credential_age"})
        # Only what the provider's identity model declares leaves the service.
        identity = _ACCOUNT_IDENTITY.validate_python({**account.provider_state, "provider": account.provider})
        public = identity.model_dump()
        return cls.model_validate(
            {
                **shown,
                "identity": identity,
                "identity_arn": public.get("identity_arn"),
                "external_id_generation": public.get("external_id_generation"),
                "permissions": account.permissions.summary(),
                "credential_age": credential_age,
            }
        )


class AccountListOut(BaseModel):
    items: list[AccountOut]
    next_cursor: str | None


class TestResultOut(BaseModel):
    result: str = Field(description="`connected` or the error code of the first failing check")
    message: str
    steps: list[ValidationStep]
    diagnosis: dict[str, Any]
    account: AccountOut


class CredentialRotationItemOut(BaseModel):
    account_id: str
    name: str
    provider: str
    credentials_type: str
    credential_age: CredentialAge


class CredentialRotationOut(BaseModel):
    items: list[CredentialRotationItemOut] = Field(description="Most urgent first")


class AuditEntryOut(BaseModel):
    at: datetime
    actor: str = Field(description="The token subject, or `workflow`")
    action: str
    target: str | None
    outcome: str
    details: dict[str, Any]


class AuditListOut(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail


class InventorySummaryOut(BaseModel):
    total: int
    by_type: dict[str, int]
    by_region: dict[str, int]


class CrawlBriefOut(BaseModel):
    id: str
    status: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    resources: int
    errors: int


class HealthSummaryOut(BaseModel):
    state: str = Field(
        description="healthy, degraded (stale data, permission gaps, old credentials, an old External ID), "
        "failing, never_crawled, disconnected"
    )
    warnings: list[str]
    last_successful_crawl_at: datetime | None
    last_crawl: CrawlBriefOut | None
    stale: int
    errors: int
    permission_gaps: int
    throttles: int


class AccountDetailOut(AccountOut):
    inventory_summary: InventorySummaryOut
    health: HealthSummaryOut


class StaleSegmentOut(BaseModel):
    region: str
    type: str
    last_success_at: datetime | None
    error_code: str | None


class ListingErrorOut(BaseModel):
    region: str
    service: str
    type: str
    code: str
    message: str
    at: datetime
    action: str | None = Field(
        default=None, description="The IAM action that was refused or failed, e.g. tag:GetResources"
    )


class ThrottlesOut(BaseModel):
    total: int
    by_region_service: dict[str, int] = Field(description="key: '<region>|<service>'")


class HealthOut(BaseModel):
    state: str
    warnings: list[str] = Field(description="What needs the tenant's attention, in words")
    credential_age: CredentialAge | None = Field(description="Stored credentials only: age and status")
    external_id: dict[str, Any] | None = Field(
        description="Roles: the External ID generation in use and whether it is current"
    )
    account_status: AccountStatus
    last_validated_at: datetime | None
    last_validation_result: str | None
    last_successful_crawl_at: datetime | None
    last_crawl: CrawlBriefOut | None
    errors: list[ListingErrorOut] = Field(
        description="per (region, service): the provider's code and time, of listings that failed and of "
        "calls whose detail the stored items lack"
    )
    stale: list[StaleSegmentOut] = Field(description="(region, type) pairs with items from an older crawl")
    permission_gaps: list[str]
    throttles: ThrottlesOut


class CrawlStartedOut(BaseModel):
    id: str
    status: str


class WritesOut(BaseModel):
    puts: int
    deletes: int
    unchanged: int
    write_units: int


class RegionProgressOut(BaseModel):
    status: str
    types_total: int
    types_done: int
    resources: int
    api_calls: int
    throttles: int
    errors: int
    gaps: int = Field(
        description="Types listed and stored without some detail (a call was refused or failed)"
    )
    writes: WritesOut
    started_at: datetime | None
    finished_at: datetime | None


class CrawlOut(BaseModel):
    id: str
    status: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    resources: int
    counts_by_type: dict[str, int]
    api_calls: int
    throttles: int
    writes: WritesOut
    errors: list[ListingErrorOut]
    failure: str | None
    regions: dict[str, RegionProgressOut] = Field(
        description="By segment of the crawl's plan: for AWS each enabled region, and `global`"
    )

    @classmethod
    def of(cls, crawl: Crawl) -> CrawlOut:
        fields = crawl.model_dump(include=set(cls.model_fields) | {"segments"})
        return cls.model_validate({**fields, "regions": fields.pop("segments")})


class CrawlListOut(BaseModel):
    items: list[CrawlOut]
    next_cursor: str | None


class ResourceOut(BaseModel):
    id: str
    type: str
    region: str
    name: str | None
    attributes: dict[str, Any]
    tags: dict[str, str]
    stale: bool = Field(description="Its (region, type) failed to list since: shown as last seen")
    last_success_at: datetime | None = Field(description="When its (region, type) last listed")


class ResourceListOut(BaseModel):
    items: list[ResourceOut]
    next_cursor: str | None


class AccountTotalsOut(BaseModel):
    account_id: str
    name: str
    status: str
    total: int
    last_successful_crawl_at: datetime | None


class TenantInventorySummaryOut(BaseModel):
    accounts: int
    total: int
    by_type: dict[str, int]
    by_region: dict[str, int]
    by_account: list[AccountTotalsOut]
