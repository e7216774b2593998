"""Running a crawl the way the state machine does, through the real task handlers, in-process.

Begin -> Validate -> (connected?) Plan -> CrawlSegmentBatch for every batch of regions (concurrently, like
the Map) -> Finish. The state machine's own wiring is checked by the infrastructure and emulator tests.
"""

from __future__ import annotations

import io
import json
import zipfile
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

from skylight.handlers.workflow import tasks
from tests.support import CUSTOMER_ACCOUNT, LambdaContext, account_client


def run_crawl(account_id: str, tenant: str = "tenant-a", crawl_id: str | None = None) -> dict[str, Any]:
    """One execution of the account workflow; returns the Finish task's output."""
    start = {"tenant_id": tenant, "account_id": account_id, "trigger": "manual"}
    if crawl_id:
        start["crawl_id"] = crawl_id
    begin = tasks.begin_crawl({"workflow": start}, LambdaContext())
    if begin["already_running"]:
        return {"crawl_id": begin["crawl_id"], "status": "running", "resources": 0}
    validation = tasks.validate_account(begin, LambdaContext())
    if validation["result"] != "connected":
        return tasks.finish_crawl(begin | {"failure": "validation_failed"}, LambdaContext())
    plan = tasks.plan_crawl(begin, LambdaContext())
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda batch: _crawl_batch(begin, batch), plan["batches"]))
    return tasks.finish_crawl(begin, LambdaContext())


def _crawl_batch(begin: dict[str, Any], batch: list[str]) -> dict[str, Any] | None:
    # As the Map's Catch does: a batch that fails is left as it stands, and Finish reports it.
    try:
        return tasks.crawl_segments(begin | {"segments": batch}, LambdaContext())
    except Exception:
        return None


def customer(service: str, region: str = "us-east-1") -> Any:
    return account_client(service, CUSTOMER_ACCOUNT, region=region)


@cache
def _function_code() -> bytes:
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return code.getvalue()


def customer_function(region: str, name: str, tags: dict[str, str]) -> str:
    """A Lambda function of the customer's (its role created on first use); its ARN."""
    iam = customer("iam")
    roles = [role["Arn"] for role in iam.list_roles()["Roles"] if role["RoleName"] == "function-role"]
    role = (
        roles[0]
        if roles
        else iam.create_role(
            RoleName="function-role",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
    )
    return str(
        customer("lambda", region).create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": _function_code()},
            Tags=tags,
        )["FunctionArn"]
    )


def customer_table(region: str, name: str, tags: dict[str, str]) -> None:
    """A DynamoDB table of the customer's."""
    customer("dynamodb", region).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
    )
