"""Stored credentials over the local HTTP API: access keys, rotation, restore, External ID rotation, audit."""

from __future__ import annotations

import json
import time

from tests.e2e.test_local_api import call
from tests.secrets_seen import leaks, recorded_data_keys, sts_session_secrets

CUSTOMER = "444444444444"
TENANT = "e2e-keys"


def user_key(run, user: str) -> dict[str, str]:
    iam = run.client("iam", CUSTOMER)
    if not any(u["UserName"] == user for u in iam.list_users()["Users"]):
        iam.create_user(UserName=user)
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_user_policy(UserName=user, PolicyName="read", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return {
        "type": "access_key",
        "access_key_id": key["AccessKeyId"],
        "secret_access_key": key["SecretAccessKey"],
    }


def executions_of(run, account_id: str) -> list[dict]:
    sfn = run.client("stepfunctions")
    machine = next(run.stack.resources[k].ref for k in run.stack.of_type("AWS::StepFunctions::StateMachine"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [
            e
            for e in sfn.list_executions(stateMachineArn=machine)["executions"]
            if e["name"].startswith(account_id)
        ]
        if found and all(e["status"] != "RUNNING" for e in found):
            return found
        time.sleep(0.2)
    raise AssertionError("the workflow did not finish")


def state_machine_payloads(run, account_id: str) -> str:
    sfn = run.client("stepfunctions")
    texts = []
    for execution in executions_of(run, account_id):
        arn = execution["executionArn"]
        texts.append(json.dumps(sfn.describe_execution(executionArn=arn), default=str))
        texts.append(json.dumps(sfn.get_execution_history(executionArn=arn)["events"], default=str))
    return "\n".join(texts)


def test_access_keys_connect_rotate_disconnect_and_restore_over_http(local_run):
    with recorded_data_keys() as data_keys:
        _connect_rotate_disconnect_and_restore(local_run, data_keys)


def _connect_rotate_disconnect_and_restore(local_run, data_keys):
    def api(method, path, body=None, role="admin"):
        return call(local_run, method, path, body=body, tenant=TENANT, role=role)

    first = user_key(local_run, "reader")
    status, account = api("POST", "/v1/accounts", {"provider": "aws", "name": "Keys", "credentials": first})
    assert status == 201, account
    assert account["credential_age"]["status"] == "ok"
    path = f"/v1/accounts/{account['id']}"

    wrong = {**first, "secret_access_key": "Wr0ng" + "x" * 35}
    status, body = api("PUT", f"{path}/credentials", {"credentials": wrong})
    assert (status, body["error"]["code"]) == (422, "invalid_credentials")
    assert api("GET", path)[1]["credentials"]["access_key_id"] == first["access_key_id"]

    second = user_key(local_run, "reader")
    status, rotated = api("PUT", f"{path}/credentials", {"credentials": second})
    assert (status, rotated["credentials"]["access_key_id"]) == (200, second["access_key_id"])
    assert api("POST", f"{path}/test")[1]["result"] == "connected"
    assert api("GET", f"{path}/health", role="viewer")[1]["warnings"] == []
    assert api("GET", "/v1/credentials/rotation", role="viewer") == (200, {"items": []})

    root = local_run.client("iam", CUSTOMER).create_access_key()["AccessKey"]
    root_credentials = {
        **first,
        "access_key_id": root["AccessKeyId"],
        "secret_access_key": root["SecretAccessKey"],
    }
    status, body = api(
        "POST", "/v1/accounts", {"provider": "aws", "name": "Root", "credentials": root_credentials}
    )
    assert (status, body["error"]["code"]) == (422, "root_credentials")

    assert api("DELETE", path)[1]["status"] == "disconnected"
    assert api("POST", f"{path}/restore")[0] == 400
    status, restored = api("POST", f"{path}/restore", {"credentials": second})
    assert (status, restored["status"]) == (200, "connected")

    # The admin's own actions (the workflows' validations, recorded as `workflow`, run meanwhile).
    actions = [e["action"] for e in api("GET", "/v1/audit")[1]["items"] if e["actor"] != "workflow"]
    assert actions[:4] == ["account.restore", "account.restore", "account.disconnect", "account.connect"]
    assert api("GET", "/v1/audit", role="viewer")[0] == 403

    # The workflows of connect and restore ran (the connect's crawl finished before the DELETE, or
    # the DELETE stopped it); no secret is in their inputs, outputs or history.
    restored_crawl, connected_crawl = (e["status"] for e in executions_of(local_run, account["id"]))
    assert (restored_crawl, connected_crawl in ("SUCCEEDED", "ABORTED")) == ("SUCCEEDED", True)
    payloads = state_machine_payloads(local_run, account["id"])
    assert "connected" in payloads  # the validation outcome is there, the secrets are not
    secrets = [first["secret_access_key"], second["secret_access_key"], wrong["secret_access_key"]]
    # Nor the sessions STS issued (the platform principal's, the functions'), nor the data keys that
    # sealed and opened the keys in the crawl's Validate, Plan and region tasks.
    assert len(data_keys.plaintexts) >= 4
    needles = {"secret": secrets, "sts session": sts_session_secrets(), "data key": data_keys.spelled()}
    assert leaks(needles, {"state machine": payloads}) == []


def test_external_id_rotation_over_http(local_run):
    def api(method, path, body=None):
        return call(local_run, method, path, body=body, tenant="e2e-rotation")

    kit = api("GET", "/v1/onboarding/aws")[1]
    iam = local_run.client("iam", CUSTOMER)
    arn = iam.create_role(RoleName="Rotating", AssumeRolePolicyDocument=json.dumps(kit["trust_policy"]))[
        "Role"
    ]["Arn"]
    policy = kit["permission_policies"]["read_only"]["policy"]
    iam.put_role_policy(RoleName="Rotating", PolicyName="read", PolicyDocument=json.dumps(policy))
    body = {"provider": "aws", "name": "Rotating", "credentials": {"type": "role", "role_arn": arn}}
    account = api("POST", "/v1/accounts", body)[1]

    rotated = api("POST", "/v1/onboarding/aws/external-id/rotate")[1]
    assert rotated["external_id_rotation"]["accounts_on_previous"] == [
        {"id": account["id"], "name": "Rotating"}
    ]
    status, refused = api("POST", "/v1/onboarding/aws/external-id/complete")
    assert (status, refused["error"]["code"]) == (409, "external_id_in_use")

    iam.update_assume_role_policy(RoleName="Rotating", PolicyDocument=json.dumps(rotated["trust_policy"]))
    status, done = api("POST", "/v1/onboarding/aws/external-id/complete")
    assert (status, done["external_id_rotation"]["in_progress"]) == (200, False)
    assert api("GET", f"/v1/accounts/{account['id']}")[1]["external_id_generation"] == 2
