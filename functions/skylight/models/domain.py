"""The provider-neutral domain: one account model and one validation report for every cloud."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

# Crawl schedules: every 6 hours unless the tenant asks otherwise, never more often than every 15 minutes.
DEFAULT_CRAWL_INTERVAL_MINUTES = 360
MIN_CRAWL_INTERVAL_MINUTES = 15
MAX_CRAWL_INTERVAL_MINUTES = 7 * 24 * 60


class Access(StrEnum):
    READ_ONLY = "read_only"
    READ_WRITE = "read_write"


class AccountStatus(StrEnum):
    CONNECTED = "connected"
    FAILING = "failing"
    DISCONNECTED = "disconnected"


class StepOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"


class ValidationStep(BaseModel):
    """One line of the test log a tenant sees."""

    name: str
    outcome: StepOutcome
    duration_ms: int = 0
    message: str = ""
    provider_error_code: str | None = None


class PermissionCheck(BaseModel):
    """Whether one harmless call of one service worked: a row of the coverage matrix."""

    service: str
    action: str
    kind: str = Field(description="read or write")
    granted: bool | None = Field(
        description="None when the provider could not tell (throttled, inconclusive)"
    )
    provider_error_code: str | None = None


class Permissions(BaseModel):
    checks: list[PermissionCheck] = Field(default_factory=list)

    @property
    def granted_actions(self) -> list[str]:
        return [c.action for c in self.checks if c.granted is True]

    @property
    def missing_actions(self) -> list[str]:
        return [c.action for c in self.checks if c.granted is False]

    def summary(self) -> dict[str, Any]:
        return {
            "checked": [c.action for c in self.checks],
            "granted": self.granted_actions,
            "missing": self.missing_actions,
            "coverage": [c.model_dump() for c in self.checks],
        }


class Tenant(BaseModel):
    tenant_id: str
    created_at: datetime
    #: By provider, what only that provider understands about the tenant (AWS: its External IDs);
    #: opaque here. Made when the tenant first uses the provider.
    provider_state: dict[str, dict[str, Any]] = Field(default_factory=dict, repr=False)
    #: Bumped by every change of `provider_state`: concurrent changes cannot both win.
    state_version: int = 0
    #: The audience of every identity token minted for this tenant (keyless GCP and Azure); made
    #: on first use, so tenants stored before it existed have none until then.
    federation_audience: str | None = None

    def state_of(self, provider: str) -> dict[str, Any]:
        return self.provider_state.get(provider, {})


class CredentialAgeSource(StrEnum):
    #: The provider's own creation date of the key (the identity could read it).
    PROVIDER = "provider_creation_date"
    #: When the tenant gave Skylight the key (the creation date could not be read).
    UPLOAD = "upload_time"


class CredentialAgeStatus(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ROTATE_NOW = "rotate_now"


class CredentialAge(BaseModel):
    """How old a stored credential is and whether it is time to rotate it."""

    created_at: datetime
    source: CredentialAgeSource
    age_days: int
    status: CredentialAgeStatus
    warn_after_days: int
    rotate_after_days: int


class AuditEntry(BaseModel):
    """One recorded action: who (token subject), when, what, on what, and how it ended."""

    tenant_id: str
    at: datetime
    actor: str
    action: str
    target: str | None = None
    outcome: str = Field(description="`success` or the error code the action ended with")
    details: dict[str, Any] = Field(default_factory=dict)


class Caller(BaseModel):
    """Who is calling, taken only from verified token claims."""

    tenant_id: str
    subject: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class ValidationReport(BaseModel):
    """The outcome of validating a connection: `result` is `connected` or an error code."""

    result: str
    message: str = ""
    steps: list[ValidationStep]
    provider_account_id: str | None = None
    #: What the provider records on the account from this validation, connected or not (AWS: the
    #: identity's ARN, the External ID generation the role accepted); merged into what it holds.
    provider_state: dict[str, Any] = Field(default_factory=dict)
    permissions: Permissions = Field(default_factory=Permissions)
    diagnosis: dict[str, Any] = Field(default_factory=dict)
    # Set when the failure is on the provider's side (throttling, outage), not the tenant's set-up.
    retryable: bool = False
    #: Stored credentials: when the key was created, and where that date comes from.
    credentials_created_at: datetime | None = None
    credentials_age_source: CredentialAgeSource | None = None

    @property
    def connected(self) -> bool:
        return self.result == "connected"


class Account(BaseModel):
    """A connected cloud account, as stored and as shown (no secret ever lives here)."""

    id: str
    tenant_id: str
    provider: str
    name: str
    access: Access
    status: AccountStatus
    credentials: dict[str, str] = Field(description="Non-secret description of how Skylight gets in")
    connection_key: str
    provider_account_id: str | None = None
    #: What only the account's provider understands about it (AWS: `identity_arn`,
    #: `external_id_generation`); opaque here, never a secret.
    provider_state: dict[str, Any] = Field(default_factory=dict)
    permissions: Permissions = Field(default_factory=Permissions)
    connected_at: datetime
    updated_at: datetime
    last_validated_at: datetime | None = None
    last_validation_result: str | None = None
    steps: list[ValidationStep] = Field(default_factory=list)
    disconnected_at: datetime | None = None
    retained_until: datetime | None = None
    crawl_interval_minutes: int = DEFAULT_CRAWL_INTERVAL_MINUTES
    #: Stored credentials (access keys ...): their age, and when they were last replaced.
    credentials_created_at: datetime | None = None
    credentials_age_source: CredentialAgeSource | None = None
    credentials_updated_at: datetime | None = None
    version: int = 0

    @property
    def has_stored_secret(self) -> bool:
        """Whether a secret of this account lives in the vault (roles store none)."""
        return self.credentials_age_source is not None
