"""The committed OpenAPI document is the one the routes generate."""

from pathlib import Path

from skylight.handlers.api.openapi import openapi_document

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_committed_openapi_document_matches_the_routes():
    assert COMMITTED.read_text() == openapi_document(), "the API changed: run `make openapi` and commit"


def test_every_route_is_documented_with_its_errors():
    import json

    document = json.loads(openapi_document())
    operations = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert operations == {
        ("GET", "/v1/onboarding/{provider}"),
        ("POST", "/v1/accounts"),
        ("GET", "/v1/accounts"),
        ("GET", "/v1/accounts/{account_id}"),
        ("PATCH", "/v1/accounts/{account_id}"),
        ("DELETE", "/v1/accounts/{account_id}"),
        ("POST", "/v1/accounts/{account_id}/test"),
        ("POST", "/v1/accounts/{account_id}/crawls"),
        ("GET", "/v1/accounts/{account_id}/crawls"),
        ("GET", "/v1/accounts/{account_id}/crawls/{crawl_id}"),
        ("GET", "/v1/accounts/{account_id}/inventory"),
        ("GET", "/v1/accounts/{account_id}/health"),
        ("GET", "/v1/inventory/summary"),
        ("PUT", "/v1/accounts/{account_id}/credentials"),
        ("POST", "/v1/accounts/{account_id}/restore"),
        ("GET", "/v1/credentials/rotation"),
        ("POST", "/v1/onboarding/aws/external-id/rotate"),
        ("POST", "/v1/onboarding/aws/external-id/complete"),
        ("GET", "/v1/audit"),
    }
    assert "401" in document["paths"]["/v1/accounts"]["get"]["responses"]
