"""AWS's part of API v1: its credential bodies, onboarding kit, account identity and External ID
rotation. Pydantic models only: the API joins every provider's `api_models` into its unions without
loading any cloud's SDK."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from skylight.providers.aws.identifiers import (
    ACCESS_KEY_ID_PATTERN,
    ROLE_ARN_PATTERN,
    SECRET_ACCESS_KEY_PATTERN,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoleCredentialsIn(_Strict):
    type: Literal["role"]
    # The pattern is documented here and enforced by the provider's parser, which says precisely what
    # is wrong (the partition, the account, the name) instead of "does not match".
    role_arn: str = Field(
        max_length=2048,
        description="arn:<partition>:iam::<12-digit account>:role/<path/><name>; aws, aws-us-gov or aws-cn",
        json_schema_extra={"pattern": ROLE_ARN_PATTERN},
    )

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump()


class AccessKeyCredentialsIn(_Strict):
    """A long-term IAM user access key, for tenants that cannot use a role. Never a root user's key."""

    type: Literal["access_key"]
    # Documented here, enforced by the provider's parser (whose errors never repeat the value).
    access_key_id: str = Field(
        max_length=128, description="AKIA...", json_schema_extra={"pattern": ACCESS_KEY_ID_PATTERN}
    )
    # SecretStr: the value never shows in a repr, a log line or a validation error.
    secret_access_key: SecretStr = Field(
        max_length=128, json_schema_extra={"pattern": SECRET_ACCESS_KEY_PATTERN, "writeOnly": True}
    )
    partition: Literal["aws", "aws-us-gov", "aws-cn"] = "aws"

    def as_dict(self) -> dict[str, Any]:
        """The plain values, for the provider's parser only."""
        return {**self.model_dump(), "secret_access_key": self.secret_access_key.get_secret_value()}


#: The union members' tags, which pydantic puts in error locations (`credentials.access_key.x`).
CREDENTIAL_TYPES = frozenset({"role", "access_key"})
AwsCredentialsIn = Annotated[RoleCredentialsIn | AccessKeyCredentialsIn, Field(discriminator="type")]


class AwsAccountIdentityOut(BaseModel):
    """Who Skylight is in the AWS account, as last validated."""

    provider: Literal["aws"]
    identity_arn: str | None = Field(
        None, description="The ARN Skylight acts as: the assumed role's session, or the key's IAM user"
    )
    external_id_generation: int | None = Field(
        None, description="Roles: the generation of the tenant's External ID the role works with"
    )


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


class AwsOnboardingKitOut(BaseModel):
    """What a tenant needs to create the role Skylight assumes in its AWS account."""

    provider: Literal["aws"]
    external_id: str
    platform_account_id: str
    platform_principal_arn: str
    partition: str
    trust_policy: dict[str, Any] = Field(description="Lists both External IDs while a rotation is under way")
    permission_policies: dict[str, Any]
    templates: dict[str, Any]
    steps: list[str]
    external_id_rotation: ExternalIdRotationOut


class RotationCompletedOut(AwsOnboardingKitOut):
    cut_off_accounts: list[AccountRef] = Field(description="Accounts left on the retired ID (forced only)")


#: What `skylight.models.api` reads from every provider's `api_models` module: the credential bodies
#: (each with a `type` tag, unique across providers), and their tags; the onboarding kit (with a
#: `provider` tag) and the account's public identity (with a `provider` tag, read from what the
#: provider records on the account: its other keys are never shown).
CREDENTIAL_MODELS: tuple[type[BaseModel], ...] = (RoleCredentialsIn, AccessKeyCredentialsIn)
ONBOARDING_KIT_MODEL: type[BaseModel] = AwsOnboardingKitOut
ACCOUNT_IDENTITY_MODEL: type[BaseModel] = AwsAccountIdentityOut
