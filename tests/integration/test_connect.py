"""POST /v1/accounts: every validation outcome, each with its status, code and test log."""

import json

from tests.integration.conftest import SESSION, connect_body, external_id_of, stored_items
from tests.support import (
    CUSTOMER_ACCOUNT,
    PLATFORM_PRINCIPAL_ARN,
    allow,
    create_customer_role,
    trust_policy,
)

ALL_STEPS = [
    "parse_credentials",
    "assume_role",
    "external_id_enforced",
    "verify_identity",
    "trust_policy_scope",
    "read_permissions",
]


def outcomes(steps):
    return {step["name"]: step["outcome"] for step in steps}


def nothing_stored(api):
    status, page = api("GET", "/v1/accounts")
    return status == 200 and page["items"] == []


def test_a_correct_role_connects_and_reports_every_step(api):
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id_of(api)))
    status, account = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 201, account
    assert account["status"] == "connected"
    assert account["provider"] == "aws"
    assert account["provider_account_id"] == CUSTOMER_ACCOUNT
    assert account["access"] == "read_only"
    assert account["connected_at"]
    assert [s["name"] for s in account["steps"]] == ALL_STEPS
    assert set(outcomes(account["steps"]).values()) == {"passed"}
    assert all(s["duration_ms"] >= 0 for s in account["steps"])
    assert account["permissions"]["missing"] == []
    assert "ec2:DescribeInstances" in account["permissions"]["granted"]
    status, shown = api("GET", f"/v1/accounts/{account['id']}")
    assert (status, {key: shown[key] for key in account}) == (200, account)
    assert shown["inventory_summary"]["total"] == 0


def test_a_wrong_external_id_is_access_denied_with_the_likely_causes_and_nothing_is_stored(api):
    external_id_of(api)
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id="someone-elses-id"))
    status, body = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 422
    error = body["error"]
    assert error["code"] == "access_denied"
    assert error["provider_error"]["code"] == "AccessDenied"
    assert "not authorized to perform: sts:AssumeRole" in error["provider_error"]["message"]
    assert error["likely_causes"][0]["cause"] == "external_id_mismatch"
    assert outcomes(error["steps"]) == {
        "parse_credentials": "passed",
        "assume_role": "failed",
        "external_id_enforced": "skipped",
        "verify_identity": "skipped",
        "trust_policy_scope": "skipped",
        "read_permissions": "skipped",
    }
    assert error["steps"][1]["provider_error_code"] == "AccessDenied"
    assert nothing_stored(api)


def test_a_trust_policy_naming_another_principal_is_access_denied(api):
    trust = trust_policy(principal="arn:aws:iam::999999999999:root", external_id=external_id_of(api))
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust)
    status, body = api("POST", "/v1/accounts", connect_body(role.arn))
    assert (status, body["error"]["code"]) == (422, "access_denied")
    assert body["error"]["expected_trust_policy"]["Statement"][0]["Principal"] == {
        "AWS": PLATFORM_PRINCIPAL_ARN
    }


def test_a_role_that_does_not_exist_is_access_denied(api):
    status, body = api("POST", "/v1/accounts", connect_body(f"arn:aws:iam::{CUSTOMER_ACCOUNT}:role/Missing"))
    assert (status, body["error"]["code"]) == (422, "access_denied")
    assert nothing_stored(api)


def test_a_trust_policy_without_the_external_id_condition_is_refused_as_insecure(api):
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=None))
    status, body = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 422
    error = body["error"]
    assert error["code"] == "insecure_trust_policy"
    assert error["accepted_without_external_id"] is True
    assert error["accepted_with_wrong_external_id"] is True
    corrected = error["corrected_trust_policy"]["Statement"][0]
    assert corrected["Condition"]["StringEquals"]["sts:ExternalId"] == external_id_of(api)
    assert outcomes(error["steps"])["external_id_enforced"] == "failed"
    assert nothing_stored(api)


def test_a_trust_policy_that_also_accepts_any_external_id_is_insecure(api):
    external_id = external_id_of(api)
    trust = trust_policy(external_id=external_id)
    trust["Statement"][0]["Condition"] = {"StringLike": {"sts:ExternalId": "*"}}
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust)
    status, body = api("POST", "/v1/accounts", connect_body(role.arn))
    assert (status, body["error"]["code"]) == (422, "insecure_trust_policy")
    assert body["error"]["accepted_without_external_id"] is False
    assert body["error"]["accepted_with_wrong_external_id"] is True


def test_a_role_with_no_permissions_is_permission_denied_listing_the_missing_actions(api):
    role = create_customer_role(
        CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id_of(api)), None
    )
    status, body = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 422
    error = body["error"]
    assert error["code"] == "permission_denied"
    assert {"ec2:DescribeInstances", "s3:ListAllMyBuckets", "lambda:ListFunctions"} <= set(
        error["missing_actions"]
    )
    assert outcomes(error["steps"])["read_permissions"] == "failed"
    assert nothing_stored(api)


def test_partial_permissions_connect_and_list_what_is_missing(api):
    trust = trust_policy(external_id=external_id_of(api))
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust, allow("ec2:Describe*", "rds:Describe*"))
    status, account = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 201
    granted = set(account["permissions"]["granted"])
    assert {a.split(":")[0] for a in granted} == {"ec2", "rds"}
    assert {"ec2:DescribeInstances", "ec2:DescribeRegions", "rds:DescribeDBClusters"} <= granted
    assert "s3:ListAllMyBuckets" in account["permissions"]["missing"]
    assert outcomes(account["steps"])["read_permissions"] == "warning"
    coverage = {c["service"]: c["granted"] for c in account["permissions"]["coverage"]}
    assert coverage["ec2"] is True and coverage["s3"] is False


def test_read_write_checks_write_access_with_a_dry_run(api):
    trust = trust_policy(external_id=external_id_of(api))
    writer = create_customer_role(CUSTOMER_ACCOUNT, "Writer", trust, allow("ec2:*", "s3:ListAllMyBuckets"))
    status, account = api("POST", "/v1/accounts", connect_body(writer.arn, access="read_write"))
    assert status == 201, account
    assert outcomes(account["steps"])["write_permissions"] == "passed"
    assert "ec2:StopInstances" in account["permissions"]["granted"]

    reader = create_customer_role(CUSTOMER_ACCOUNT, "Reader", trust)
    status, account = api("POST", "/v1/accounts", connect_body(reader.arn, access="read_write"))
    assert status == 201
    assert outcomes(account["steps"])["write_permissions"] == "warning"
    assert "ec2:StopInstances" in account["permissions"]["missing"]
    # Nothing was changed by the write check.
    ec2 = SESSION.client("ec2")
    assert ec2.describe_instances()["Reservations"] == []


def test_the_same_role_and_access_twice_is_already_connected(api):
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id_of(api)))
    status, first = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 201
    status, body = api("POST", "/v1/accounts", connect_body(role.arn, name="again"))
    assert (status, body["error"]["code"]) == (409, "already_connected")
    assert body["error"]["account_id"] == first["id"]
    # The same role with another access level is a different connection.
    assert api("POST", "/v1/accounts", connect_body(role.arn, access="read_write"))[0] == 201


def test_a_role_in_another_partition_than_the_platform_is_refused_precisely(api):
    arn = f"arn:aws-us-gov:iam::{CUSTOMER_ACCOUNT}:role/Skylight"
    status, body = api("POST", "/v1/accounts", connect_body(arn))
    assert (status, body["error"]["code"]) == (422, "partition_mismatch")


def test_no_temporary_credentials_are_stored_or_returned(api):
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id_of(api)))
    status, account = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 201
    items = stored_items()
    stored = json.dumps(items) + json.dumps(account)
    for marker in ("ASIA", "SessionToken", "SecretAccessKey", "secret_access_key", "session_token"):
        assert marker not in stored


def test_a_role_trusting_the_whole_platform_account_connects_with_a_warning(api):
    trust = trust_policy(principal="arn:aws:iam::123456789012:root", external_id=external_id_of(api))
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust)
    status, account = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 201
    scope = next(s for s in account["steps"] if s["name"] == "trust_policy_scope")
    assert scope["outcome"] == "warning"
    assert "whole platform account" in scope["message"] and PLATFORM_PRINCIPAL_ARN in scope["message"]


def test_a_role_that_may_not_read_its_trust_policy_connects_with_a_hint(api):
    trust = trust_policy(external_id=external_id_of(api))
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust, allow("ec2:Describe*"))
    status, account = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 201
    scope = next(s for s in account["steps"] if s["name"] == "trust_policy_scope")
    assert (scope["outcome"], scope["provider_error_code"]) == ("warning", "AccessDenied")
    assert "iam:GetRole" in scope["message"]
