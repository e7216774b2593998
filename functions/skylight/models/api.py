"""Request and response bodies of API v1. Mapped explicitly from the domain: storage never leaks out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from skylight.models.domain import Access, Account, AccountStatus, CredentialAge, ValidationStep

# 1-64 printable characters: no control characters, no leading or trailing blanks.
AccountName = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f\s](?:[^\x00-\x1f\x7f]*[^\x00-\x1f\x7f\s])?$"
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoleCredentialsIn(_Strict):
    type: Literal["role"]
    role_arn: str = Field(max_length=2048, description="arn:<partition>:iam::<account>:role/<path/name>")

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump()


class AccessKeyCredentialsIn(_Strict):
    """A long-term IAM user access key, for tenants that cannot use a role. Never a root user's key."""

    type: Literal["access_key"]
    access_key_id: str = Field(max_length=128, description="AKIA...")
    # SecretStr: the value never shows in a repr, a log line or a validation error.
    secret_access_key: SecretStr = Field(max_length=128)
    partition: Literal["aws", "aws-us-gov", "aws-cn"] = "aws"

    def as_dict(self) -> dict[str, Any]:
        """The plain values, for the provider's parser only."""
        return {**self.model_dump(), "secret_access_key": self.secret_access_key.get_secret_value()}


#: The union members' tags, which pydantic puts in error locations (`credentials.access_key.x`).
CREDENTIAL_TYPES = frozenset({"role", "access_key"})
CredentialsIn = Annotated[RoleCredentialsIn | AccessKeyCredentialsIn, Field(discriminator="type")]


class ConnectAccountRequest(_Strict):
    """`provider` selects the cloud; today `aws` with a cross-account role or an access key."""

    provider: Literal["aws"]
    name: AccountName
    access: Access = Access.READ_ONLY
    credentials: CredentialsIn


class ReplaceCredentialsRequest(_Strict):
    """The same `credentials` object as when connecting, of the account's type."""

    credentials: CredentialsIn


class RestoreAccountRequest(_Strict):
    """Roles: nothing (the role is validated again). Access keys: new credentials (the old were destroyed)."""

    credentials: CredentialsIn | None = None


class RenameAccountRequest(_Strict):
    name: AccountName


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


class AccountOut(BaseModel):
    id: str
    provider: str
    name: str
    access: Access
    status: AccountStatus
    provider_account_id: str | None
    identity_arn: str | None
    credentials: dict[str, str]
    permissions: PermissionsOut
    connected_at: datetime
    updated_at: datetime
    last_validated_at: datetime | None
    last_validation_result: str | None
    disconnected_at: datetime | None
    retained_until: datetime | None
    external_id_generation: int | None = Field(
        description="Roles: the generation of the tenant's External ID this account currently works with"
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
        return cls.model_validate(
            {**shown, "permissions": account.permissions.summary(), "credential_age": credential_age}
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


class AccountRef(BaseModel):
    id: str
    name: str


class ExternalIdRotationOut(BaseModel):
    in_progress: bool
    generation: int = Field(description="Generation of the current External ID (1 before any rotation)")
    started_at: datetime | None
    accounts_on_previous: list[AccountRef] = Field(
        description="Accounts that still work only with the previous External ID"
    )


class OnboardingKitOut(BaseModel):
    provider: str
    external_id: str
    platform_account_id: str
    platform_principal_arn: str
    partition: str
    trust_policy: dict[str, Any] = Field(description="Lists both External IDs while a rotation is under way")
    permission_policies: dict[str, Any]
    templates: dict[str, Any]
    steps: list[str]
    external_id_rotation: ExternalIdRotationOut


class RotationCompletedOut(OnboardingKitOut):
    cut_off_accounts: list[AccountRef] = Field(description="Accounts left on the retired ID (forced only)")


class CredentialRotationItemOut(BaseModel):
    account_id: str
    name: str
    provider: str
    credentials_type: str
    credential_age: CredentialAge


class CredentialRotationOut(BaseModel):
    items: list[CredentialRotationItemOut] = Field(description="Most urgent first")


class AccountHealthOut(BaseModel):
    account_id: str
    status: AccountStatus
    last_validated_at: datetime | None
    last_validation_result: str | None
    credential_age: CredentialAge | None
    external_id: dict[str, Any] | None = Field(
        description="Roles: the generation in use and whether it is current"
    )
    warnings: list[str]


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
