"""`make demo`: a frontend's walk through the local HTTP API, printed step by step."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import requests

from local.run import LocalRun
from local.tokens import issue_token

TENANT = "acme"
OTHER_TENANT = "globex"
CUSTOMER_ACCOUNT = "111111111111"
SECOND_CUSTOMER_ACCOUNT = "222222222222"

BOLD, DIM, GREEN, RED, YELLOW, RESET = "\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[33m", "\033[0m"
MARKS = {
    "passed": f"{GREEN}✔{RESET}",
    "failed": f"{RED}✘{RESET}",
    "warning": f"{YELLOW}!{RESET}",
    "skipped": "·",
}


class Frontend:
    """What a tenant's browser would do: call the API with the tenant's token."""

    def __init__(self, api_url: str, tenant: str, role: str) -> None:
        self.api_url = api_url
        self.headers = {"Authorization": f"Bearer {issue_token(tenant, role)}"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        response = requests.request(method, self.api_url + path, json=body, headers=self.headers, timeout=60)
        return response.status_code, response.json()


def heading(text: str) -> None:
    print(f"\n{BOLD}▶ {text}{RESET}")


def show_request(method: str, path: str, status: int) -> None:
    colour = GREEN if status < 400 else RED
    print(f"  {DIM}{method} {path}{RESET} → {colour}{status}{RESET}")


def show_steps(steps: list[dict[str, Any]]) -> None:
    for step in steps:
        code = f" [{step['provider_error_code']}]" if step.get("provider_error_code") else ""
        mark, name, duration = MARKS[step["outcome"]], step["name"], step["duration_ms"]
        print(f"    {mark} {name:<22} {duration:>5} ms  {step['message']}{code}")


def create_customer_role(
    run: LocalRun, account_id: str, name: str, trust: dict[str, Any], policy: Any
) -> str:
    """What the tenant does in its own AWS account (here: an emulated customer account)."""
    iam = run.client("iam", account_id)
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    iam.put_role_policy(RoleName=name, PolicyName="skylight-read", PolicyDocument=json.dumps(policy))
    return arn


def run_demo(run: LocalRun) -> None:
    started = time.monotonic()
    admin = Frontend(run.api_url, TENANT, "admin")
    kit = scene_onboarding(admin)
    role_arn = scene_customer_creates_role(run, kit)
    account = scene_connect(run, admin, kit, role_arn)
    scene_first_crawl(admin, account)
    scene_wrong_external_id(run, admin, kit)
    scene_insecure_trust_policy(run, admin, kit)
    scene_read_rename_retest(run, account)
    scene_inventory(run, admin, account)
    key_account = scene_access_keys(run, admin, kit)
    scene_rotate_keys(run, admin, key_account)
    scene_external_id_rotation(run, admin, account)
    scene_disconnect(run, admin, account, key_account)
    scene_audit(admin)
    wait_for_workflows(run)
    print(f"\n{GREEN}Demo finished in {time.monotonic() - started:.1f} s.{RESET}")


def wait_for_workflows(run: LocalRun, timeout_s: float = 60) -> None:
    """Let the executions the walk started end before the emulator stops."""
    sfn = run.client("stepfunctions")
    machine = run.stack.resources[next(iter(run.stack.of_type("AWS::StepFunctions::StateMachine")))].ref
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
            return
        time.sleep(0.3)


def connect_body(role_arn: str, name: str = "Production") -> dict[str, Any]:
    return {
        "provider": "aws",
        "name": name,
        "access": "read_only",
        "credentials": {"type": "role", "role_arn": role_arn},
    }


def scene_onboarding(admin: Frontend) -> dict[str, Any]:
    heading(f"1. Tenant '{TENANT}' opens the AWS onboarding wizard")
    status, kit = admin.call("GET", "/v1/onboarding/aws")
    show_request("GET", "/v1/onboarding/aws", status)
    templates = kit["templates"]
    print(f"    External ID            {kit['external_id'][:14]}… (192 random bits, this tenant only)")
    print(f"    Platform principal     {kit['platform_principal_arn']}")
    print(
        f"    Templates              CloudFormation ({len(json.dumps(templates['cloudformation']))} bytes), "
        f"Terraform ({len(templates['terraform']['read_only'])} bytes)"
    )
    return kit


def read_only_policy(kit: dict[str, Any]) -> Any:
    return kit["permission_policies"]["read_only"]["policy"]


def populate_estate(run: LocalRun) -> str:
    """Something to find: instances in two regions, a bucket, a table (the customer's workloads)."""
    for region, count, name in (("us-east-1", 3, "web"), ("eu-west-1", 2, "batch")):
        run.client("ec2", CUSTOMER_ACCOUNT, region).run_instances(
            ImageId="ami-12345678",
            MinCount=count,
            MaxCount=count,
            InstanceType="t3.small",
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
        )
    run.client("s3", CUSTOMER_ACCOUNT, "eu-west-1").create_bucket(
        Bucket="acme-invoices", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    run.client("dynamodb", CUSTOMER_ACCOUNT).create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "5 instances in us-east-1 and eu-west-1, a bucket, a DynamoDB table"


def scene_customer_creates_role(run: LocalRun, kit: dict[str, Any]) -> str:
    heading(f"2. In customer account {CUSTOMER_ACCOUNT}, an admin creates the role from the kit")
    role_arn = create_customer_role(
        run, CUSTOMER_ACCOUNT, "SkylightAccess", kit["trust_policy"], read_only_policy(kit)
    )
    print(f"    {role_arn}")
    print(f"    the account already runs: {populate_estate(run)}")
    return role_arn


def scene_connect(run: LocalRun, admin: Frontend, kit: dict[str, Any], role_arn: str) -> dict[str, Any]:
    heading("3. The tenant pastes the role ARN: Skylight validates it synchronously")
    status, account = admin.call("POST", "/v1/accounts", connect_body(role_arn))
    show_request("POST", "/v1/accounts", status)
    show_steps(account["steps"])
    print(
        f"    status={account['status']} account={account['provider_account_id']} "
        f"granted={len(account['permissions']['granted'])} missing={account['permissions']['missing']}"
    )
    return account


def show_failure(failure: dict[str, Any]) -> dict[str, Any]:
    error = failure["error"]
    print(f"    {RED}{error['code']}{RESET}: {error['message']}")
    show_steps(error["steps"])
    return dict(error)


def scene_wrong_external_id(run: LocalRun, admin: Frontend, kit: dict[str, Any]) -> None:
    heading(f"4. A role in {SECOND_CUSTOMER_ACCOUNT} trusts the platform with a WRONG External ID")
    trust = json.loads(json.dumps(kit["trust_policy"]).replace(kit["external_id"], "copied-from-a-blog-post"))
    arn = create_customer_role(run, SECOND_CUSTOMER_ACCOUNT, "SkylightAccess", trust, read_only_policy(kit))
    status, failure = admin.call("POST", "/v1/accounts", connect_body(arn))
    show_request("POST", "/v1/accounts", status)
    error = show_failure(failure)
    print("    likely causes, most common first:")
    for cause in error["likely_causes"]:
        print(f"      - {cause['cause']}: {cause['check']}")


def scene_insecure_trust_policy(run: LocalRun, admin: Frontend, kit: dict[str, Any]) -> None:
    heading("5. A role whose trust policy forgets the External ID condition (confused deputy)")
    trust = json.loads(json.dumps(kit["trust_policy"]))
    del trust["Statement"][0]["Condition"]
    arn = create_customer_role(run, SECOND_CUSTOMER_ACCOUNT, "SkylightOpen", trust, read_only_policy(kit))
    status, failure = admin.call("POST", "/v1/accounts", connect_body(arn))
    show_request("POST", "/v1/accounts", status)
    error = show_failure(failure)
    condition = error["corrected_trust_policy"]["Statement"][0]["Condition"]
    print(f"    corrected trust policy adds: {json.dumps(condition)[:60]}…")


def scene_read_rename_retest(run: LocalRun, account: dict[str, Any]) -> None:
    heading("6. Reading, renaming, re-testing; another tenant sees nothing")
    admin = Frontend(run.api_url, TENANT, "admin")
    viewer = Frontend(run.api_url, TENANT, "viewer")
    stranger = Frontend(run.api_url, OTHER_TENANT, "admin")
    path = f"/v1/accounts/{account['id']}"
    status, page = viewer.call("GET", "/v1/accounts")
    show_request("GET", "/v1/accounts  (viewer)", status)
    print(f"    {len(page['items'])} account(s): {[a['name'] for a in page['items']]}")
    show_request("DELETE", f"{path}  (viewer)", viewer.call("DELETE", path)[0])
    show_request("GET", f"{path}  (tenant '{OTHER_TENANT}')", stranger.call("GET", path)[0])
    show_request("PATCH", path, admin.call("PATCH", path, {"name": "Production (us-east-1)"})[0])
    status, result = admin.call("POST", f"{path}/test")
    show_request("POST", f"{path}/test", status)
    print(f"    result={result['result']} name={result['account']['name']!r}")


def scene_first_crawl(admin: Frontend, account: dict[str, Any]) -> None:
    heading("3b. The first crawl starts by itself: every enabled region at once")
    path = f"/v1/accounts/{account['id']}"
    crawl_id = latest_crawl_id(admin, path)
    crawl = watch_crawl(admin, path, crawl_id)
    print(
        f"    {crawl['status']}: {crawl['resources']} resources, {crawl['api_calls']} calls, "
        f"{crawl['throttles']} throttled, {len(crawl['errors'])} errors, "
        f"{crawl['writes']['puts']} items written"
    )
    show_overview(admin, path)


def latest_crawl_id(admin: Frontend, path: str, newer_than: str = "", timeout_s: float = 20) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, page = admin.call("GET", f"{path}/crawls?limit=1")
        if status == 200 and page["items"] and page["items"][0]["id"] > newer_than:
            return str(page["items"][0]["id"])
        time.sleep(0.2)
    raise TimeoutError("no crawl started")


BAR_WIDTH = 24


def progress_lines(crawl: dict[str, Any]) -> list[str]:
    lines = []
    for region, progress in sorted(crawl["regions"].items()):
        total = max(progress["types_total"], 1)
        filled = round(BAR_WIDTH * progress["types_done"] / total)
        colour = {"succeeded": GREEN, "partial": YELLOW, "failed": RED}.get(progress["status"], DIM)
        bar = f"{colour}{'█' * filled}{'░' * (BAR_WIDTH - filled)}{RESET}"
        lines.append(
            f"    {region:<15} {bar} {progress['types_done']:>2}/{total:<2} {progress['resources']:>4} found"
        )
    return lines


def watch_crawl(
    admin: Frontend, path: str, crawl_id: str, timeout_s: float = 60, draw: bool = True
) -> dict[str, Any]:
    """Poll the crawl and draw one progress bar per region (redrawn in place on a terminal)."""
    deadline = time.monotonic() + timeout_s
    drawn = 0
    while True:
        _, crawl = admin.call("GET", f"{path}/crawls/{crawl_id}")
        done = crawl["status"] != "running" or time.monotonic() > deadline
        if draw and (sys.stdout.isatty() or done):
            lines = progress_lines(crawl)
            if drawn:
                print(f"\033[{drawn}A", end="")
            print("\n".join(lines))
            drawn = len(lines)
        if done:
            return dict(crawl)
        time.sleep(0.3)


def show_overview(admin: Frontend, path: str) -> None:
    status, shown = admin.call("GET", path)
    summary, health = shown["inventory_summary"], shown["health"]
    show_request("GET", path, status)
    print(f"    inventory: {summary['total']} resources")
    for resource_type, count in summary["by_type"].items():
        print(f"      {resource_type:<28} {count:>4}")
    regions = ", ".join(f"{region} {count}" for region, count in summary["by_region"].items())
    print(f"    by region: {regions}")
    print(
        f"    health: {health['state']}, last successful crawl {health['last_successful_crawl_at']}, "
        f"{health['stale']} stale, {health['permission_gaps']} permission gaps"
    )


def scene_inventory(run: LocalRun, admin: Frontend, account: dict[str, Any]) -> None:
    heading("7. Inventory: resources, crawls on demand and on a schedule, health")
    path = f"/v1/accounts/{account['id']}"
    status, page = admin.call("GET", f"{path}/inventory?type=aws.ec2.instance&limit=3")
    show_request("GET", f"{path}/inventory?type=aws.ec2.instance&limit=3", status)
    for item in page["items"]:
        attributes = item["attributes"]
        print(f"      {item['name']:<8} {item['region']:<10} {attributes['instance_type']:<9} {item['id']}")
    print(f"      … next_cursor={'yes' if page['next_cursor'] else 'none'}")

    run.client("ec2", CUSTOMER_ACCOUNT).run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)
    status, started = admin.call("POST", f"{path}/crawls")
    show_request("POST", f"{path}/crawls", status)
    status, again = admin.call("POST", f"{path}/crawls")
    show_request("POST", f"{path}/crawls  (again, while it runs)", status)
    print(
        f"    one crawl per account: the second request got the running one ({again['id'] == started['id']})"
    )
    crawl = watch_crawl(admin, path, started["id"])
    writes = crawl["writes"]
    print(
        f"    {crawl['status']}: one new instance and its volume → {writes['puts']} items written, "
        f"{writes['unchanged']} unchanged (only changes are written)"
    )

    status, updated = admin.call("PATCH", path, {"crawl_interval_minutes": 15})
    show_request("PATCH", f"{path}  crawl_interval_minutes=15", status)
    schedule = f"crawl-{account['id']}"
    print(f"    schedule {schedule}: every {updated['crawl_interval_minutes']} minutes")
    run.schedules.fire_now(schedule)  # the local run fires schedules itself; here without the wait
    crawl = watch_crawl(admin, path, latest_crawl_id(admin, path, newer_than=crawl["id"]))
    print(f"    the schedule fired: crawl trigger={crawl['trigger']} status={crawl['status']}")

    status, health = admin.call("GET", f"{path}/health")
    show_request("GET", f"{path}/health", status)
    print(
        f"    state={health['state']} throttles={health['throttles']['total']} errors={len(health['errors'])}"
    )
    status, totals = admin.call("GET", "/v1/inventory/summary")
    show_request("GET", "/v1/inventory/summary", status)
    print(f"    tenant total: {totals['total']} resources in {totals['accounts']} account(s)")


KEY_USER = "skylight-reader"


def create_user_key(run: LocalRun, account_id: str, policy: Any) -> dict[str, str]:
    """What a tenant without roles does: an IAM user with the read policy, and an access key of it."""
    iam = run.client("iam", account_id)
    if not any(user["UserName"] == KEY_USER for user in iam.list_users()["Users"]):
        iam.create_user(UserName=KEY_USER)
        iam.put_user_policy(UserName=KEY_USER, PolicyName="skylight-read", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=KEY_USER)["AccessKey"]
    return {
        "type": "access_key",
        "access_key_id": key["AccessKeyId"],
        "secret_access_key": key["SecretAccessKey"],
    }


def key_policy(kit: dict[str, Any]) -> Any:
    """The kit's read-only policy, plus reading the user's own keys' creation dates (for age warnings)."""
    policy = json.loads(json.dumps(read_only_policy(kit)))
    policy["Statement"].append(
        {"Effect": "Allow", "Action": "iam:ListAccessKeys", "Resource": "arn:aws:iam::*:user/${aws:username}"}
    )
    return policy


def keys_body(credentials: dict[str, str], name: str) -> dict[str, Any]:
    return {"provider": "aws", "name": name, "access": "read_only", "credentials": credentials}


def scene_access_keys(run: LocalRun, admin: Frontend, kit: dict[str, Any]) -> dict[str, Any]:
    heading(f"8. A tenant that cannot use roles hands over an access key ({SECOND_CUSTOMER_ACCOUNT})")
    root = run.client("iam", SECOND_CUSTOMER_ACCOUNT).create_access_key()["AccessKey"]
    root_credentials = {
        "type": "access_key",
        "access_key_id": root["AccessKeyId"],
        "secret_access_key": root["SecretAccessKey"],
    }
    status, failure = admin.call("POST", "/v1/accounts", keys_body(root_credentials, "Root keys"))
    show_request("POST", "/v1/accounts  (the root user's key)", status)
    print(f"    {RED}{failure['error']['code']}{RESET}: {failure['error']['message'][:90]}…")

    credentials = create_user_key(run, SECOND_CUSTOMER_ACCOUNT, key_policy(kit))
    status, account = admin.call("POST", "/v1/accounts", keys_body(credentials, "Trial (keys)"))
    show_request("POST", "/v1/accounts  (an IAM user's key)", status)
    show_steps(account["steps"])
    age = account["credential_age"]
    print(f"    credentials shown: {account['credentials']}")
    print(f"    age: {age['age_days']} days ({age['source']}), status {age['status']}")
    path = f"/v1/accounts/{account['id']}"
    crawl = watch_crawl(admin, path, latest_crawl_id(admin, path), draw=False)
    print(f"    crawled with the stored key, like a role: {crawl['status']}, {crawl['resources']} resources")
    item = run.client("dynamodb").get_item(
        TableName=os.environ["SECRETS_TABLE_NAME"],
        Key={"pk": {"S": f"TENANT#{TENANT}"}, "sk": {"S": f"SECRET#{account['id']}"}},
    )["Item"]
    print(
        f"    stored in the secrets table (no point-in-time backups): ciphertext "
        f"{len(item['ciphertext']['B'])} bytes, KMS-wrapped data key "
        f"{len(item['encrypted_data_key']['B'])} bytes, nonce {len(item['nonce']['B'])} bytes, "
        f"purpose {item['purpose']['S']}; the secret is nowhere in plaintext"
    )
    return dict(account)


def scene_rotate_keys(run: LocalRun, admin: Frontend, account: dict[str, Any]) -> None:
    heading("9. Rotating the key: the new one takes over only once it works")
    path = f"/v1/accounts/{account['id']}/credentials"
    mistyped = create_user_key(run, SECOND_CUSTOMER_ACCOUNT, None)
    mistyped["secret_access_key"] = mistyped["secret_access_key"][::-1]
    status, failure = admin.call("PUT", path, {"credentials": mistyped})
    show_request("PUT", f"{path}  (a mistyped secret)", status)
    print(f"    {RED}{failure['error']['code']}{RESET}: {failure['error']['provider_error']['code']}")
    status, result = admin.call("POST", f"/v1/accounts/{account['id']}/test")
    print(f"    the old key is still in use: test → {result['result']}")
    iam = run.client("iam", SECOND_CUSTOMER_ACCOUNT)
    iam.delete_access_key(UserName=KEY_USER, AccessKeyId=mistyped["access_key_id"])
    fresh = create_user_key(run, SECOND_CUSTOMER_ACCOUNT, None)
    status, rotated = admin.call("PUT", path, {"credentials": fresh})
    show_request("PUT", path, status)
    before, after = account["credentials"]["access_key_id"], rotated["credentials"]["access_key_id"]
    print(f"    now using {after} (was {before})")
    status, due = admin.call("GET", "/v1/credentials/rotation")
    show_request("GET", "/v1/credentials/rotation", status)
    print(f"    credentials needing attention: {len(due['items'])} (warn at 60 days, rotate at 90)")


def scene_external_id_rotation(run: LocalRun, admin: Frontend, account: dict[str, Any]) -> None:
    heading("10. The External ID leaked: rotate it without cutting anyone off")
    status, kit = admin.call("POST", "/v1/onboarding/aws/external-id/rotate")
    show_request("POST", "/v1/onboarding/aws/external-id/rotate", status)
    ids = kit["trust_policy"]["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"]
    print(f"    trust policy now accepts {len(ids)} IDs: {', '.join(i[:14] + '…' for i in ids)}")
    status, result = admin.call("POST", f"/v1/accounts/{account['id']}/test")
    tested = result["account"]
    print(f"    '{tested['name']}' still works, with generation {tested['external_id_generation']}")
    status, refused = admin.call("POST", "/v1/onboarding/aws/external-id/complete")
    show_request("POST", "/v1/onboarding/aws/external-id/complete", status)
    print(f"    {RED}{refused['error']['code']}{RESET}: {[a['name'] for a in refused['error']['accounts']]}")
    run.client("iam", CUSTOMER_ACCOUNT).update_assume_role_policy(
        RoleName="SkylightAccess", PolicyDocument=json.dumps(kit["trust_policy"])
    )
    print("    the customer pastes the new trust policy")
    status, done = admin.call("POST", "/v1/onboarding/aws/external-id/complete")
    show_request("POST", "/v1/onboarding/aws/external-id/complete", status)
    generation = done["external_id_rotation"]["generation"]
    print(f"    old ID retired; generation {generation} is the only one accepted")


def scene_disconnect(
    run: LocalRun, admin: Frontend, account: dict[str, Any], key_account: dict[str, Any]
) -> None:
    heading("11. Disconnect: calls and schedules stop at once, stored keys are destroyed, data is kept")
    path = f"/v1/accounts/{account['id']}"
    print(f"    schedules before: {len(run.schedules.names())}")
    status, gone = admin.call("DELETE", path)
    show_request("DELETE", path, status)
    print(f"    status={gone['status']} retained_until={gone['retained_until']}")
    print(f"    schedules after:  {len(run.schedules.names())} (this account's is gone)")
    status, refused = admin.call("POST", f"{path}/test")
    show_request("POST", f"{path}/test", status)
    print(f"    {refused['error']['code']}: {refused['error']['message']}")
    show_request("POST", f"{path}/crawls", admin.call("POST", f"{path}/crawls")[0])
    status, page = admin.call("GET", f"{path}/inventory?limit=1")
    show_request("GET", f"{path}/inventory  (retained)", status)
    print(f"    inventory still readable until retained_until: {len(page['items'])} item shown")
    key_path = f"/v1/accounts/{key_account['id']}"
    show_request("DELETE", f"{key_path}  (keys: crypto-shredded now)", admin.call("DELETE", key_path)[0])
    status, restored = admin.call("POST", f"{path}/restore")
    show_request("POST", f"{path}/restore", status)
    scheduled = f"crawl-{account['id']}" in run.schedules.names()
    print(f"    the role still works: status={restored['status']}, its schedule is back: {scheduled}")
    status, refused = admin.call("POST", f"{key_path}/restore")
    show_request("POST", f"{key_path}/restore  (no new key)", status)
    print(f"    {refused['error']['code']}: {refused['error']['message']}")


def scene_audit(admin: Frontend) -> None:
    heading("12. The audit trail: who did what, when, and how it ended")
    status, trail = admin.call("GET", "/v1/audit?limit=8")
    show_request("GET", "/v1/audit", status)
    for entry in trail["items"]:
        print(f"    {entry['at'][11:19]} {entry['actor']:<10} {entry['action']:<28} {entry['outcome']}")
