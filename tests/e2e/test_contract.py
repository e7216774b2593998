"""The API document is the contract: schemathesis, every check on, against the whole local run.

It reads docs/openapi.json as a frontend's generated client would, sends what the document allows
and what it forbids (every operation, unknown methods, missing and wrong tokens), and follows the
document's links from a real connect (`POST /v1/accounts` 201) to the account's routes. Every
response must be documented, conform to its schema, and be no 5xx. What a schema cannot say is
let through, narrowly and with reasons, in tests/e2e/contract/schemathesis_hooks.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time

import requests

from infra.config import REPO_ROOT
from local.tokens import issue_token
from skylight.models.api import CONNECT_EXAMPLE
from skylight.providers.aws.arn import parse_role_arn

SCHEMATHESIS = REPO_ROOT / ".venv-contract" / "bin" / "schemathesis"
DOCUMENT = REPO_ROOT / "docs" / "openapi.json"
HOOKS = REPO_ROOT / "tests" / "e2e" / "contract"
TENANT = "contract-tenant"
# Bounded and repeatable: the same cases every run, well under two minutes on two cores.
MAX_EXAMPLES = 3
SEED = 20261201
# Far above the run's usual time: only a run that hangs is stopped.
TIME_LIMIT_S = 600
# The slowest answer allowed: a connect validates against the emulated cloud synchronously (about
# twenty calls, each through the emulator's IAM evaluation), the first one in a cold function
# process; on a busy two-core machine that has taken 10 to 13 seconds, over the checker's default
# of 10. Latency is measured by the benchmarks; here a response may not come near the timeout.
MAX_RESPONSE_TIME_S = 25


def create_example_role(run, token):
    """The role the document's connect example names, trusting the platform with the tenant's External ID."""
    kit = requests.get(
        run.api_url + "/v1/onboarding/aws", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).json()
    role = parse_role_arn(CONNECT_EXAMPLE["credentials"]["role_arn"])
    iam = run.client("iam", role.account_id)
    iam.create_role(RoleName=role.name, AssumeRolePolicyDocument=json.dumps(kit["trust_policy"]))
    policy = kit["permission_policies"]["read_only"]["policy"]
    iam.put_role_policy(RoleName=role.name, PolicyName="read", PolicyDocument=json.dumps(policy))


def test_the_local_api_keeps_the_documented_contract(local_run, tmp_path):
    assert SCHEMATHESIS.exists(), "the contract checker is missing: run `make bootstrap`"
    token = issue_token(TENANT, "admin")
    create_example_role(local_run, token)

    started = time.monotonic()
    completed = subprocess.run(  # noqa: S603 - the pinned checker, on our own document and API
        [
            str(SCHEMATHESIS),
            "--no-color",
            "run",
            str(DOCUMENT),
            "--url",
            local_run.api_url,
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--generation-database",
            "none",
            # One worker: Python 3.11's parser is not thread-safe in the way Hypothesis uses it
            # ("AST constructor recursion depth mismatch" with several workers).
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--max-response-time",
            str(MAX_RESPONSE_TIME_S),
        ],
        cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks", "PYTHONPATH": str(HOOKS)},
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT_S,
        check=False,
    )
    elapsed = time.monotonic() - started

    report = completed.stdout[-12000:] + completed.stderr[-2000:]
    assert completed.returncode == 0, report
    # Every phase ran, the stateful one along the document's links from a real connect.
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅\s+{phase}", completed.stdout), report
    links = re.search(r"API Links:\s+(\d+) covered", completed.stdout)
    assert links and int(links[1]) > 0, report
    assert "Filtered" not in completed.stdout or "dropped by `filter_failure`" in completed.stdout
    connected = requests.get(
        local_run.api_url + "/v1/audit?limit=100", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).json()
    assert any(e["action"] == "account.connect" and e["outcome"] == "success" for e in connected["items"])
    phases = re.findall(r"(\w+) \(in ([0-9.]+)s\)", completed.stdout)
    cases = re.findall(r"Test cases:\s*\n\s*(.+)", completed.stdout)
    # A figure, not a verdict: the machine's load moves it (the examples are bounded to keep it short).
    print(f"contract run: {elapsed:.0f} s; phases {phases}; {cases}")
