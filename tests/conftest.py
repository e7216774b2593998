"""Shared test set-up: a clean, offline AWS environment for every test session."""

import os

# Never let a test reach a real AWS account, whatever the developer's shell has configured.
for name in list(os.environ):
    if name.startswith("AWS_") and name not in ("AWS_CA_BUNDLE",):
        del os.environ[name]
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    TABLE_NAME="skylight-test",
    PLATFORM_PRINCIPAL_ARN="arn:aws:iam::123456789012:role/Skylight-platform-principal",
    STATE_MACHINE_ARN="arn:aws:states:us-east-1:123456789012:stateMachine:skylight-account",
    SCHEDULE_GROUP_NAME="skylight-test-schedules",
    SCHEDULER_ROLE_ARN="arn:aws:iam::123456789012:role/skylight-test-scheduler",
    POWERTOOLS_SERVICE_NAME="skylight",
    POWERTOOLS_METRICS_NAMESPACE="Skylight",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_DEV="false",
    MOTO_EC2_LOAD_DEFAULT_AMIS="false",
)


def pytest_collection_modifyitems(items):
    """With `pytest -n`, keep the tests that share a costly session fixture on one worker: the
    infrastructure tests synthesize the stack once, the end-to-end tests start one local run."""
    import pytest

    for item in items:
        for folder, group in (("infrastructure", "synthesized-stack"), ("e2e", "local-run")):
            if f"/tests/{folder}/" in str(item.path).replace("\\", "/"):
                item.add_marker(pytest.mark.xdist_group(group))
