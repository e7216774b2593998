"""The document says exactly what the API answers: what a frontend's generated client relies on."""

from __future__ import annotations

import json

import pytest

from skylight.handlers.api.openapi import openapi_document
from skylight.providers.base import provider_names

DOCUMENT = json.loads(openapi_document())
OPERATIONS = [
    (method.upper(), path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
]
IDS = [f"{method} {path}" for method, path, _ in OPERATIONS]
ERROR = {"$ref": "#/components/schemas/ErrorOut"}
RATE_LIMITED = {
    ("POST", "/v1/accounts"),
    ("POST", "/v1/accounts/{account_id}/test"),
    ("PUT", "/v1/accounts/{account_id}/credentials"),
    ("POST", "/v1/accounts/{account_id}/restore"),
    ("POST", "/v1/accounts/{account_id}/crawls"),
    ("POST", "/v1/onboarding/aws/external-id/complete"),
}
REFUSED_CONNECTION = {
    ("POST", "/v1/accounts"),
    ("PUT", "/v1/accounts/{account_id}/credentials"),
    ("POST", "/v1/accounts/{account_id}/restore"),
}


def _resolve(schema):
    while "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_operation_documents_its_success_with_a_schema(method, path, operation):
    successes = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
    assert successes
    for response in successes.values():
        assert response["content"]["application/json"]["schema"], (method, path)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_error_is_documented_with_the_error_schema(method, path, operation):
    errors = {code: r for code, r in operation["responses"].items() if code[0] in "45"}
    assert {"401", "403"} <= set(errors)
    for response in errors.values():
        assert response["content"]["application/json"]["schema"] == ERROR
    # 400 is the validation error; 422 only where a connection can be refused
    assert ("422" in errors) == ((method, path) in REFUSED_CONNECTION)
    assert ("429" in errors) == ((method, path) in RATE_LIMITED)
    if "429" in errors:
        assert errors["429"]["headers"]["Retry-After"]["required"] is True
    if operation.get("parameters") or operation.get("requestBody"):
        assert "400" in errors
    else:
        assert "400" not in errors


def test_powertools_validation_error_schemas_are_gone():
    text = json.dumps(DOCUMENT)
    assert "HTTPValidationError" not in text and "Validation Error" not in text


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_path_parameter_has_its_exact_shape(method, path, operation):
    for parameter in operation.get("parameters", []):
        if parameter["name"] == "provider":
            schema = parameter["schema"]  # exactly the providers found (one: a `const`)
            assert schema.get("enum", [schema.get("const")]) == sorted(provider_names())
        elif parameter["in"] == "path":
            schema = parameter["schema"]
            assert schema["pattern"].startswith("^") and schema["pattern"].endswith("$")
            assert schema["minLength"] == schema["maxLength"]
        if parameter["name"] == "limit":
            assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (1, 100)


def test_an_update_needs_at_least_one_field_and_none_is_null():
    schema = _resolve(DOCUMENT["components"]["schemas"]["UpdateAccountRequest"])
    assert schema["minProperties"] == 1 and schema["additionalProperties"] is False
    assert all("anyOf" not in field and field["type"] != "null" for field in schema["properties"].values())


def test_credentials_document_their_shapes():
    role = _resolve(DOCUMENT["components"]["schemas"]["RoleCredentialsIn"])["properties"]["role_arn"]
    key = _resolve(DOCUMENT["components"]["schemas"]["AccessKeyCredentialsIn"])["properties"]
    assert role["pattern"].startswith("^arn:(?:aws|aws-us-gov|aws-cn):iam::[0-9]{12}:role/")
    assert key["access_key_id"]["pattern"] == "^AKIA[A-Z0-9]{12,124}$"
    assert key["secret_access_key"]["writeOnly"] is True


def test_a_connect_links_to_the_operations_on_the_account():
    links = DOCUMENT["paths"]["/v1/accounts"]["post"]["responses"]["201"]["links"]
    operation_ids = {operation["operationId"] for _, _, operation in OPERATIONS}
    assert {"get_account", "update_account", "disconnect_account", "test_account", "list_crawls"} <= set(
        links
    )
    for link in links.values():
        assert link["operationId"] in operation_ids
        assert link["parameters"] == {"account_id": "$response.body#/id"}
    example = _resolve(DOCUMENT["components"]["schemas"]["AwsConnectRequest"])["examples"][0]
    assert example["credentials"]["role_arn"] == "arn:aws:iam::111122223333:role/SkylightAccess"
