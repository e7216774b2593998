"""The whole connect flow over the local HTTP API, as a frontend would walk it."""

from __future__ import annotations

import json
import time

import pytest
import requests

from local.tokens import issue_token

CUSTOMER = "333333333333"


def call(run, method, path, token=None, body=None, tenant="e2e-tenant", role="admin"):
    headers = {} if token == "" else {"Authorization": f"Bearer {token or issue_token(tenant, role)}"}
    response = requests.request(method, run.api_url + path, json=body, headers=headers, timeout=60)
    return response.status_code, response.json()


@pytest.fixture(scope="module")
def kit(local_run):
    status, body = call(local_run, "GET", "/v1/onboarding/aws")
    assert status == 200
    return body


def role_from_kit(run, kit, name, trust=None):
    iam = run.client("iam", CUSTOMER)
    trust = trust or kit["trust_policy"]
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy = kit["permission_policies"]["read_only"]["policy"]
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps(policy))
    return arn


def connect(run, arn, name="Production"):
    body = {
        "provider": "aws",
        "name": name,
        "access": "read_only",
        "credentials": {"type": "role", "role_arn": arn},
    }
    return call(run, "POST", "/v1/accounts", body=body)


def test_the_kits_role_connects_and_the_first_crawl_runs_through_the_state_machine(local_run, kit):
    local_run.client("ec2", CUSTOMER).run_instances(ImageId="ami-12345678", MinCount=2, MaxCount=2)
    # Named as the kit's policy expects a role made by hand (its iam:GetRole names it).
    status, account = connect(local_run, role_from_kit(local_run, kit, "SkylightAccess"))
    assert status == 201, account
    assert account["status"] == "connected"
    assert {s["outcome"] for s in account["steps"]} == {"passed"}

    sfn = local_run.client("stepfunctions")
    machine_arn = next(
        local_run.stack.resources[k].ref for k in local_run.stack.of_type("AWS::StepFunctions::StateMachine")
    )
    deadline = time.monotonic() + 30
    executions = []
    while time.monotonic() < deadline:
        executions = [
            e
            for e in sfn.list_executions(stateMachineArn=machine_arn)["executions"]
            if e["name"].startswith(account["id"])
        ]
        if executions and executions[0]["status"] != "RUNNING":
            break
        time.sleep(0.2)
    assert executions and executions[0]["status"] == "SUCCEEDED"
    output = json.loads(sfn.describe_execution(executionArn=executions[0]["executionArn"])["output"])
    assert output["status"] == "succeeded"
    history = json.dumps(sfn.get_execution_history(executionArn=executions[0]["executionArn"]), default=str)
    assert "SecretAccessKey" not in history and "SessionToken" not in history

    status, crawl = call(local_run, "GET", f"/v1/accounts/{account['id']}/crawls/{output['crawl_id']}")
    assert status == 200
    assert crawl["trigger"] == "connect" and len(crawl["regions"]) == 18
    assert {region["status"] for region in crawl["regions"].values()} == {"succeeded"}
    assert crawl["counts_by_type"]["aws.ec2.instance"] == 2
    status, listed = call(
        local_run, "GET", f"/v1/accounts/{account['id']}/inventory?type=aws.ec2.instance", role="viewer"
    )
    assert status == 200 and len(listed["items"]) == 2
    status, health = call(local_run, "GET", f"/v1/accounts/{account['id']}/health", role="viewer")
    assert (status, health["state"]) == (200, "healthy")


def test_a_wrong_external_id_is_diagnosed_over_http(local_run, kit):
    trust = json.loads(json.dumps(kit["trust_policy"]).replace(kit["external_id"], "not-the-right-one"))
    status, body = connect(local_run, role_from_kit(local_run, kit, "WrongId", trust))
    assert (status, body["error"]["code"]) == (422, "access_denied")
    assert body["error"]["likely_causes"][0]["cause"] == "external_id_mismatch"


def test_an_insecure_trust_policy_is_refused_over_http(local_run, kit):
    trust = json.loads(json.dumps(kit["trust_policy"]))
    del trust["Statement"][0]["Condition"]
    status, body = connect(local_run, role_from_kit(local_run, kit, "NoCondition", trust))
    assert (status, body["error"]["code"]) == (422, "insecure_trust_policy")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        issue_token("e2e-tenant", "admin", lifetime_s=-60),
    ],
)
def test_missing_malformed_or_expired_tokens_are_unauthorized(local_run, token):
    status, body = call(local_run, "GET", "/v1/accounts", token=token)
    assert (status, body["error"]["code"]) == (401, "unauthorized")


def test_a_token_for_another_audience_is_unauthorized(local_run):
    import jwt

    from local import tokens

    claims = jwt.decode(issue_token("e2e-tenant", "admin"), options={"verify_signature": False})
    forged = jwt.encode({**claims, "aud": "another-api"}, tokens._private_key(), algorithm="RS256")
    status, _ = call(local_run, "GET", "/v1/accounts", token=forged)
    assert status == 401


def test_routes_outside_the_stack_do_not_exist(local_run):
    status, _ = call(local_run, "GET", "/v1/secrets")
    assert status == 404


def test_viewer_reads_another_tenant_sees_nothing_and_disconnect_stops_tests(local_run, kit):
    status, account = connect(local_run, role_from_kit(local_run, kit, "Lifecycle"), name="Lifecycle")
    assert status == 201
    path = f"/v1/accounts/{account['id']}"
    assert call(local_run, "GET", path, role="viewer")[0] == 200
    assert call(local_run, "DELETE", path, role="viewer")[0] == 403
    assert call(local_run, "GET", path, tenant="someone-else")[0] == 404
    status, gone = call(local_run, "DELETE", path)
    assert (status, gone["status"]) == (200, "disconnected")
    status, body = call(local_run, "POST", path + "/test")
    assert (status, body["error"]["code"]) == (409, "account_disconnected")


def test_the_local_run_fires_due_schedules_like_eventbridge_scheduler(local_run, kit):
    status, account = connect(local_run, role_from_kit(local_run, kit, "Scheduled"), name="Scheduled")
    assert status == 201, account
    schedule = f"crawl-{account['id']}"
    assert schedule in local_run.schedules.names()

    wait_for_crawls(local_run, account["id"], lambda crawls: crawls and crawls[0]["status"] != "running")
    now = time.time()
    assert schedule not in local_run.schedules.fire_due(now)  # first seen: due one interval later
    assert schedule in local_run.schedules.fire_due(now + 6 * 3600 + 1)

    crawls = wait_for_crawls(
        local_run,
        account["id"],
        lambda crawls: crawls[0]["trigger"] == "schedule" and crawls[0]["status"] != "running",
    )
    assert crawls[0]["trigger"] == "schedule"
    # A re-crawl: every region was small, so the Map got them in batches; each was still listed.
    status, crawl = call(local_run, "GET", f"/v1/accounts/{account['id']}/crawls/{crawls[0]['id']}")
    assert crawl["status"] == "succeeded" and len(crawl["regions"]) == 18
    assert {region["status"] for region in crawl["regions"].values()} == {"succeeded"}
    batches = planned_batches(local_run, crawls[0]["id"])
    assert 1 < len(batches) < 18
    assert sorted(region for batch in batches for region in batch) == sorted(crawl["regions"])

    call(local_run, "DELETE", f"/v1/accounts/{account['id']}")
    assert schedule not in local_run.schedules.names()


def planned_batches(run, crawl_id):
    """The batches the Plan state handed the Map, from the execution's history."""
    sfn = run.client("stepfunctions")
    machine_arn = next(
        run.stack.resources[k].ref for k in run.stack.of_type("AWS::StepFunctions::StateMachine")
    )
    for execution in sfn.list_executions(stateMachineArn=machine_arn)["executions"]:
        events = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
        for event in events:
            details = event.get("taskSucceededEventDetails") or event.get(
                "lambdaFunctionSucceededEventDetails"
            )
            output = json.loads(details["output"]) if details and details.get("output") else {}
            payload = output.get("Payload", output)
            if isinstance(payload, dict) and "batches" in payload:
                exited = [e for e in events if "stateExitedEventDetails" in e]
                if any(crawl_id in e["stateExitedEventDetails"].get("output", "") for e in exited):
                    return payload["batches"]
    raise AssertionError(f"no plan of crawl {crawl_id} in the executions' histories")


def wait_for_crawls(run, account_id, condition, timeout_s=30):
    deadline = time.monotonic() + timeout_s
    crawls = []
    while time.monotonic() < deadline:
        _, page = call(run, "GET", f"/v1/accounts/{account_id}/crawls", role="viewer")
        crawls = page["items"]
        if crawls and condition(crawls):
            break
        time.sleep(0.3)
    return crawls


@pytest.mark.parametrize("method", ["TRACE", "PUT", "HEAD", "OPTIONS", "PROPFIND"])
def test_a_method_a_path_does_not_serve_is_a_405_with_allow(local_run, method):
    token = issue_token("e2e-tenant", "admin")
    response = requests.request(
        method, local_run.api_url + "/v1/accounts", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    if method != "HEAD":
        assert response.json()["error"]["code"] == "method_not_allowed"


def test_a_405_needs_a_token_first_and_an_unknown_path_stays_a_404(local_run):
    token = issue_token("e2e-tenant", "admin")
    account = local_run.api_url + "/v1/accounts/0f8fad5b-d9cb-469f-a165-70867728950e"
    anonymous = requests.request("TRACE", account, timeout=30)
    assert anonymous.status_code == 401
    known = requests.request("POST", account, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert (known.status_code, known.headers["Allow"]) == (405, "GET, PATCH, DELETE")
    unknown = requests.request("TRACE", local_run.api_url + "/v1/nothing", timeout=30)
    assert unknown.status_code == 404
