"""The API's provider unions are assembled from each provider's own `api_models` module."""

from __future__ import annotations

import sys
import types
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

import skylight.models.api as api
from skylight.providers import base
from skylight.providers.aws import api_models as aws_api_models


class _ServiceAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["service_account"]
    email: str

    def as_dict(self) -> dict[str, str]:
        return self.model_dump()


def test_aws_contributes_its_own_models() -> None:
    assert api.PROVIDER_API_MODELS["aws"] is aws_api_models
    assert set(api.CONNECT_REQUESTS) == {"aws"}
    assert {"aws", "role", "access_key"} <= api.UNION_TAGS


def test_a_providers_models_appear_under_the_discriminator(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("skylight.providers.fake.api_models")
    fake.CREDENTIAL_MODELS = (_ServiceAccountIn,)  # type: ignore[attr-defined]
    fake.CREDENTIAL_TYPES = frozenset({"service_account"})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "skylight.providers.fake.api_models", fake)
    monkeypatch.setattr(base, "provider_names", lambda: frozenset({"aws", "fake"}))

    modules = api.provider_api_models()
    assert modules == {"aws": aws_api_models, "fake": fake}
    union = TypeAdapter(api.connect_request_union(api.connect_requests(modules)))
    schema = union.json_schema()
    assert schema["discriminator"] == {
        "propertyName": "provider",
        "mapping": {"aws": "#/$defs/AwsConnectRequest", "fake": "#/$defs/FakeConnectRequest"},
    }
    fake_schema = schema["$defs"]["FakeConnectRequest"]
    assert fake_schema["properties"]["provider"]["const"] == "fake"
    assert "_ServiceAccountIn" in str(fake_schema["properties"]["credentials"])
    request = union.validate_python(
        {"provider": "fake", "name": "x", "credentials": {"type": "service_account", "email": "a@b"}}
    )
    assert request.credentials.as_dict() == {"type": "service_account", "email": "a@b"}
    with pytest.raises(ValidationError):  # AWS credentials are not the fake provider's
        union.validate_python(
            {"provider": "fake", "name": "x", "credentials": {"type": "role", "role_arn": "x"}}
        )


def test_one_provider_is_still_a_discriminated_union() -> None:
    schema = TypeAdapter(api.ConnectAccountRequest).json_schema()
    assert schema["oneOf"] == [{"$ref": "#/$defs/AwsConnectRequest"}]
    assert schema["discriminator"]["propertyName"] == "provider"
