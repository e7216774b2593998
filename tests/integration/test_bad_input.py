"""Malformed input is a 400 invalid_request naming the offending fields; never a 5xx."""

import pytest

from tests.integration.conftest import connect_body

VALID_ARN = "arn:aws:iam::111111111111:role/Skylight"
UNKNOWN_ACCOUNT = "0f8fad5b-d9cb-469f-a165-70867728950e"


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
    status, response = api("PATCH", f"/v1/accounts/{UNKNOWN_ACCOUNT}", {"name": ""})
    assert (status, response["error"]["fields"][0]["field"]) == (400, "name")


def test_unknown_routes_are_not_found(api):
    status, response = api("GET", "/v1/nothing-here")
    assert (status, response["error"]["code"]) == (404, "not_found")


def test_an_unknown_account_is_not_found(api):
    status, response = api("GET", f"/v1/accounts/{UNKNOWN_ACCOUNT}")
    assert (status, response["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/accounts/does-not-exist",
        f"/v1/accounts/{UNKNOWN_ACCOUNT.upper()}",
        f"/v1/accounts/{UNKNOWN_ACCOUNT[:-3]}\u0661\u0662\u0663",  # Arabic-Indic digits
        f"/v1/accounts/{UNKNOWN_ACCOUNT[:-3]}\uff41\uff42\uff43",  # full-width letters
        f"/v1/accounts/{UNKNOWN_ACCOUNT}/crawls/20261201T101530123456Z-0a1b2",
        f"/v1/accounts/{UNKNOWN_ACCOUNT}/crawls/\uff12\uff10261201T101530123456Z-0a1b2c",
    ],
)
def test_a_malformed_path_id_is_a_400_never_a_lookup(api, path):
    status, response = api("GET", path)
    assert (status, response["error"]["code"]) == (400, "invalid_request")
    assert {f["field"] for f in response["error"]["fields"]} <= {"account_id", "crawl_id"}


@pytest.mark.parametrize(
    "body",
    [{}, {"name": None}, {"crawl_interval_minutes": None}, {"name": None, "crawl_interval_minutes": 60}],
)
def test_an_update_needs_a_field_and_takes_no_null(api, body):
    status, response = api("PATCH", f"/v1/accounts/{UNKNOWN_ACCOUNT}", body)
    assert (status, response["error"]["code"]) == (400, "invalid_request")


def test_a_body_sent_as_a_form_is_still_parsed_as_json(api):
    from skylight.handlers.api.app import lambda_handler
    from tests.support import LambdaContext, api_event

    claims = {"tenant_id": "t", "sub": "u", "roles": ["admin"]}
    event = api_event("POST", "/v1/accounts", claims=claims, raw_body='{"provider"')
    event["headers"]["content-type"] = "application/x-www-form-urlencoded"
    response = lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 400
    assert '"field": "body"' in response["body"] or '"field":"body"' in response["body"]


@pytest.mark.parametrize("spelling", ["SKYLIGHT", "skylight", "team/Skylight"])
def test_the_same_role_in_another_case_or_path_is_already_connected(api, connected, spelling):
    # IAM role names are unique in an account and not distinguished by case, whatever their path
    account, role = connected
    arn = role.arn.rsplit(":role/", 1)[0] + f":role/{spelling}"
    status, response = api("POST", "/v1/accounts", connect_body(arn))
    assert (status, response["error"]["code"]) == (409, "already_connected")
    assert response["error"]["account_id"] == account["id"]
