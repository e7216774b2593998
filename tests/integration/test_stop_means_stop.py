"""Stop means stop: once DELETE /v1/accounts/{id} has answered, no new call reaches the customer's
cloud. The running crawl's execution is stopped, and a region already listing checks the account
before every call (each page, each detail call, each retry) and stops.

Every attempt the crawl's clients make is recorded twice with the key that signs it: when it passed
Skylight's own checks, and when it leaves for AWS after the injected network latency. A call that
left after the DELETE answered must have passed its check before: it was already in flight, and a
listing thread has at most one in flight.
"""

import io
import json
import re
import threading
import time
import zipfile
from dataclasses import dataclass

from skylight.config import get_settings
from skylight.handlers import dependencies
from skylight.handlers.workflow import tasks
from skylight.providers.aws.gateway import Boto3AwsGateway
from skylight.providers.aws.provider import AwsProvider
from tests.integration.conftest import SESSION, connect_body, external_id_of
from tests.support import (
    CUSTOMER_ACCOUNT,
    PLATFORM_PRINCIPAL_ARN,
    LambdaContext,
    account_client,
    create_customer_role,
    trust_policy,
)

LATENCY_S = 0.05
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/")


@dataclass(frozen=True)
class Attempt:
    key: str
    thread: int
    checked: float
    sent: float


class Wire:
    """Gateway hooks after Skylight's own (the crawl's budget and stop check): when each attempt was
    let through, then the latency, then when it left. Once `held_after` attempts have left, the next
    ones wait at the wire until `release()`: the crawl is surely mid-way when the account goes."""

    def __init__(self, held_after: int) -> None:
        self.attempts: list[Attempt] = []
        self.waiting = 0
        self._held_after = held_after
        self._released = threading.Event()
        self._checked: dict[int, float] = {}
        self._lock = threading.Lock()

    def hooks(self):
        return (("before-send", self._let_through), ("before-send", self._leaves))

    def release(self) -> None:
        self._released.set()

    def _let_through(self, **_):
        self._checked[threading.get_ident()] = time.monotonic()
        with self._lock:
            held = len(self.attempts) >= self._held_after
            self.waiting += held
        if held:
            self._released.wait(timeout=30)
        time.sleep(LATENCY_S)

    def _leaves(self, request, **_):
        key = _CREDENTIAL.search(str(request.headers.get("Authorization", "")))
        with self._lock:
            self.attempts.append(
                Attempt(
                    key.group(1) if key else "",
                    threading.get_ident(),
                    self._checked.pop(threading.get_ident()),
                    time.monotonic(),
                )
            )


def estate_in_several_regions() -> None:
    """Listings of several pages (50 functions a page): calls keep going out while the crawl runs."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = account_client("iam", CUSTOMER_ACCOUNT)
    role = iam.create_role(RoleName="function", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    for region in REGIONS:
        functions = account_client("lambda", CUSTOMER_ACCOUNT, region)
        for index in range(120 if region == REGIONS[0] else 60):
            functions.create_function(
                FunctionName=f"fn-{index}",
                Runtime="python3.12",
                Role=role,
                Handler="handler.handler",
                Code={"ZipFile": code.getvalue()},
            )


def test_no_new_call_reaches_the_cloud_after_the_disconnect_answered(api):
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id_of(api)))
    status, account = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 201
    estate_in_several_regions()
    # The crawl's execution, as the API starts it (the emulated state machine keeps it running).
    status, started = api("POST", f"/v1/accounts/{account['id']}/crawls")
    assert status == 202
    begin = {"tenant_id": "tenant-a", "account_id": account["id"], "crawl_id": started["id"]}
    wire = Wire(held_after=12)
    gateway = Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, get_settings().region, event_hooks=wire.hooks())
    provider = AwsProvider(gateway=gateway, platform_principal_arn=PLATFORM_PRINCIPAL_ARN)
    dependencies.services().provider = lambda name: provider
    tasks.plan_crawl(begin, LambdaContext())
    crawling = threading.Thread(
        target=lambda: tasks.crawl_segments(begin | {"segments": REGIONS}, LambdaContext()), daemon=True
    )
    crawling.start()
    deadline = time.monotonic() + 30
    while wire.waiting < 3 and crawling.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)  # until the crawl is well under way, calls waiting to leave
    assert wire.waiting >= 3, wire.attempts

    assert api("DELETE", f"/v1/accounts/{account['id']}")[0] == 200
    answered = time.monotonic()
    wire.release()
    crawling.join(timeout=60)

    assert not crawling.is_alive()
    role_keys = {a.key for a in wire.attempts if a.key.startswith("ASIA")}
    threads = {a.thread for a in wire.attempts if a.key in role_keys}
    after = [a for a in wire.attempts if a.sent > answered and a.key in role_keys]
    # Only calls already in flight when the DELETE answered, at most one per listing thread:
    assert all(a.checked < answered for a in after)
    assert len(after) == len({a.thread for a in after})
    in_flight = [a for a in wire.attempts if a.checked < answered < a.sent]
    assert len(after) <= len(in_flight)
    assert after, "calls were waiting at the wire when the DELETE answered"
    print(
        f"calls after the DELETE answered: {len(after)}, all in flight then; listing threads: {len(threads)}"
    )

    # The execution was stopped and the crawl is recorded as ended by the disconnect.
    crawl = api("GET", f"/v1/accounts/{account['id']}/crawls/{started['id']}")[1]
    assert (crawl["status"], crawl["failure"]) in {
        ("partial", "account_disconnected"),
        ("failed", "account_disconnected"),
    }
    # The regions that were listing stopped: the types they had not listed say why (items kept).
    recorded = dependencies.services().crawls.get("tenant-a", account["id"], started["id"])
    codes = {
        outcome.error.code
        for region in REGIONS
        for outcome in recorded.segments[region].outcomes.values()
        if outcome.error is not None
    }
    assert "AccountDisconnected" in codes
    execution = SESSION.client("stepfunctions").describe_execution(executionArn=recorded.execution_arn)
    assert execution["status"] == "ABORTED"


def test_a_region_that_sees_the_account_gone_lists_nothing_more_and_says_why(api, connected):
    account, _ = connected
    _, started = api("POST", f"/v1/accounts/{account['id']}/crawls")
    begin = {"tenant_id": "tenant-a", "account_id": account["id"], "crawl_id": started["id"]}
    tasks.plan_crawl(begin, LambdaContext())
    assert api("DELETE", f"/v1/accounts/{account['id']}")[0] == 200

    try:
        tasks.crawl_segments(begin | {"segments": ["us-east-1"]}, LambdaContext())
    except tasks.AccountDisconnected:
        pass  # refused at the start: nothing was called
    else:
        raise AssertionError("a disconnected account was crawled")
