"""Request and response bodies of API v1. Mapped explicitly from the domain: storage never leaks out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from skylight.models.domain import Access, Account, AccountStatus, ValidationStep

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


class ConnectAccountRequest(_Strict):
    """`provider` selects the cloud; today `aws` with a cross-account role."""

    provider: Literal["aws"]
    name: AccountName
    access: Access = Access.READ_ONLY
    credentials: RoleCredentialsIn


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
    steps: list[ValidationStep]

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        """Only the fields declared here leave the service; storage-only fields never do."""
        shown = account.model_dump(include=set(cls.model_fields) - {"permissions"})
        return cls.model_validate({**shown, "permissions": account.permissions.summary()})


class AccountListOut(BaseModel):
    items: list[AccountOut]
    next_cursor: str | None


class TestResultOut(BaseModel):
    result: str = Field(description="`connected` or the error code of the first failing check")
    message: str
    steps: list[ValidationStep]
    diagnosis: dict[str, Any]
    account: AccountOut


class OnboardingKitOut(BaseModel):
    provider: str
    external_id: str
    platform_account_id: str
    platform_principal_arn: str
    partition: str
    trust_policy: dict[str, Any]
    permission_policies: dict[str, Any]
    templates: dict[str, Any]
    steps: list[str]


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail
