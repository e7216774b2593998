"""Benchmarks of the production code against the embedded emulator.

`python -m local.bench` (`make bench`) crawls a large synthetic account with a fixed latency per AWS
call and compares the wall time with the physical lower bound (see docs/benchmark.md);
`python -m local.bench.vault` measures what sealing and opening a stored secret costs.

The crawl benchmark's parts: `account` fills the synthetic account, `workers` runs the crawl as the
deployed state machine does (one warm process per region, as one Lambda per Map item), `report`
computes the figures and prints them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = ROOT / "functions"
PLATFORM_PRINCIPAL_ARN = "arn:aws:iam::123456789012:role/Skylight-platform-principal"
CUSTOMER_ACCOUNT = "111111111111"
REGION = "us-east-1"
TABLE = "skylight-bench"
TENANT = "bench-tenant"
HANDLER_MODULES = ("skylight.handlers.api.app", "skylight.handlers.workflow.tasks")
# What a deployed function's environment holds (infra/stack.py), minus the resources' real names.
LAMBDA_ENVIRONMENT = {
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_LAMBDA_FUNCTION_NAME": "skylight-bench",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
    "TABLE_NAME": TABLE,
    "PLATFORM_PRINCIPAL_ARN": PLATFORM_PRINCIPAL_ARN,
    "SCHEDULE_GROUP_NAME": "skylight",
    "TENANT_CLAIM": "tenant_id",
    "ROLES_CLAIM": "roles",
    "RETENTION_DAYS": "30",
    "ONBOARDING_TEMPLATE_URL": "",
    "POWERTOOLS_SERVICE_NAME": "skylight",
    "POWERTOOLS_METRICS_NAMESPACE": "Skylight",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}
# The figures of the last line of `make bench`, in order (docs/benchmark.md says what each means).
JSON_KEYS = (
    "resources",
    "api_calls",
    "wall_s",
    "lower_bound_s",
    "ratio",
    "baseline_wall_s",
    "speedup",
    "writes_first",
    "writes_unchanged",
    "writes_1pct_changed",
    "peak_rss_mb",
    "max_import_ms",
)


def environment(endpoint_url: str | None = None) -> dict[str, str]:
    """The environment of the benchmark and of its crawl workers: the emulator's platform account."""
    values = {
        **LAMBDA_ENVIRONMENT,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        "PYTHONPATH": os.pathsep.join([str(FUNCTIONS_DIR), str(ROOT)]),
    }
    del values["AWS_LAMBDA_FUNCTION_NAME"], values["AWS_EXECUTION_ENV"]
    if endpoint_url:
        values["AWS_ENDPOINT_URL"] = endpoint_url
    return values


def use_environment(values: dict[str, str]) -> None:
    """Make `values` this process's environment (and the functions' package importable)."""
    os.environ.update(values)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        if name not in values:
            os.environ.pop(name, None)
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
