"""AWS's part of API v1: its credential bodies and its connect request. Pydantic models only: the API
joins every provider's `api_models` into its unions without loading any cloud's SDK."""

from __future__ import annotations

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

#: What `skylight.models.api` reads from every provider's `api_models` module: the credential bodies
#: (each with a `type` tag, unique across providers), and their tags.
CREDENTIAL_MODELS: tuple[type[BaseModel], ...] = (RoleCredentialsIn, AccessKeyCredentialsIn)
