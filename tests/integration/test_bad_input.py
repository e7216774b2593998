"""Malformed input is a 400 invalid_request naming the offending fields; never a 5xx."""

import pytest

from tests.integration.conftest import connect_body

VALID_ARN = "arn:aws:iam::111111111111:role/Skylight"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"provider": "gcp", "name": "x", "credentials": {"type": "role", "role_arn": VALID_ARN}},
            "provider",
        ),
        ({"name": "x", "credentials": {"type": "role", "role_arn": VALID_ARN}}, "provider"),
        (connect_body(VALID_ARN) | {"name": ""}, "name"),
        (connect_body(VALID_ARN) | {"name": "n" * 65}, "name"),
        (connect_body(VALID_ARN) | {"name": "tab\there"}, "name"),
        (connect_body(VALID_ARN) | {"name": " padded"}, "name"),
        (connect_body(VALID_ARN) | {"name": 42}, "name"),
        (connect_body(VALID_ARN) | {"access": "admin"}, "access"),
        (
            connect_body(VALID_ARN) | {"credentials": {"type": "password", "role_arn": VALID_ARN}},
            "credentials.type",
        ),
        (connect_body(VALID_ARN) | {"credentials": {"type": "role"}}, "credentials.role_arn"),
        (connect_body("arn:aws:iam::111111111111:user/bob"), "credentials.role_arn"),
        (connect_body("arn:aws:iam::1111:role/x"), "credentials.role_arn"),
        (connect_body("a" * 5000), "credentials.role_arn"),
        (connect_body(VALID_ARN) | {"surprise": True}, "surprise"),
        ([], "body"),
        ("a string", "body"),
    ],
)
def test_invalid_connect_requests_name_the_field(api, body, field):
    status, response = api("POST", "/v1/accounts", body)
    assert status == 400, response
    error = response["error"]
    assert error["code"] == "invalid_request"
    assert field in [f["field"] for f in error["fields"]]
    assert api("GET", "/v1/accounts")[1]["items"] == []


@pytest.mark.parametrize("raw", ["{not json", "", "null", '{"provider": "aws",}'])
def test_unparseable_bodies_are_invalid_requests(api, raw):
    status, response = api("POST", "/v1/accounts", raw_body=raw)
    assert (status, response["error"]["code"]) == (400, "invalid_request")


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_out_of_range_limits_are_invalid(api, limit):
    status, response = api("GET", "/v1/accounts", query={"limit": limit})
    assert (status, response["error"]["fields"][0]["field"]) == (400, "limit")


def test_an_invalid_rename_names_the_field(api):
    status, response = api("PATCH", "/v1/accounts/some-id", {"name": ""})
    assert (status, response["error"]["fields"][0]["field"]) == (400, "name")


def test_unknown_routes_are_not_found(api):
    status, response = api("GET", "/v1/nothing-here")
    assert (status, response["error"]["code"]) == (404, "not_found")


def test_an_unknown_account_is_not_found(api):
    status, response = api("GET", "/v1/accounts/does-not-exist")
    assert (status, response["error"]["code"]) == (404, "not_found")


def test_a_body_sent_as_a_form_is_still_parsed_as_json(api):
    from skylight.handlers.api.app import lambda_handler
    from tests.support import LambdaContext, api_event

    claims = {"tenant_id": "t", "sub": "u", "roles": ["admin"]}
    event = api_event("POST", "/v1/accounts", claims=claims, raw_body='{"provider"')
    event["headers"]["content-type"] = "application/x-www-form-urlencoded"
    response = lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 400
    assert '"field": "body"' in response["body"] or '"field":"body"' in response["body"]
