"""Install every moto patch the emulator needs, once.

Each patch lives in its own module, whose docstring names the moto gap it closes:

* `trust_policy`      STS AssumeRole evaluates the target role's trust policy and External ID;
* `access_keys`       long-term access keys must exist and sign with their secret; root keys exist;
* `iam_enforcement`   every user and role session is held to its policies (resources, conditions, keys);
* `managed_policies`  AWS managed policies (ReadOnlyAccess, ...) can be attached on demand;
* `lambda_runtime`    Lambda invocations run the function's handler (in its own processes, or here);
* `denials`           the access-denied codes count as common errors (no moto warning per denial);
* `regions`           DescribeRegions answers with the partition's enabled regions only;
* `buckets`           ListBuckets answers with each bucket's region;
* `dynamodb_queries`  a Query reads only the items its key condition names (moto sorts the whole table);
* `dynamodb_transactions`  a transaction copies its own items for rollback (moto copies whole tables);
* `dynamodb_atomicity`  conditional writes and transactions are atomic under concurrent requests;
* `pagination`        large EC2 and Lambda listings answer page by page (moto answers all at once);
* `ec2_tags`          an EC2 resource's tags are read from its own entry (moto scans the region's);
* `backend_names`     moto's service packages are listed once (moto lists its folder per request);
* `stopped_executions`  a stopped execution ends ABORTED even if a running task fails afterwards;
* `outbound_federation`  IAM outbound identity federation and STS GetWebIdentityToken (JWTs signed
  per account, verifiable through the HTTPS OIDC discovery of `oidc_issuer`).

The patches change moto's classes, so they apply to the in-process `mock_aws` and to a
`ThreadedMotoServer` in the same process alike. `install()` is idempotent and thread-safe.
"""

from __future__ import annotations

import threading

from local.emulator import (
    access_keys,
    backend_names,
    buckets,
    denials,
    dynamodb_atomicity,
    dynamodb_queries,
    dynamodb_transactions,
    ec2_tags,
    iam_enforcement,
    lambda_runtime,
    managed_policies,
    outbound_federation,
    pagination,
    regions,
    stopped_executions,
    trust_policy,
)

_lock = threading.Lock()
_installed = False


def install() -> None:
    """Apply all emulator patches to moto; calling it again does nothing."""
    global _installed
    with _lock:
        if _installed:
            return
        denials.register_common_codes()
        trust_policy.install()
        iam_enforcement.install()
        # Installed last so that it wraps the others: authentication comes before authorization.
        access_keys.install()
        managed_policies.install()
        lambda_runtime.install()
        regions.install()
        buckets.install()
        dynamodb_queries.install()
        dynamodb_transactions.install()
        # After every other patch of DynamoDB's backend, so that its lock covers them.
        dynamodb_atomicity.install()
        pagination.install()
        ec2_tags.install()
        backend_names.install()
        stopped_executions.install()
        outbound_federation.install()
        _installed = True


def is_installed() -> bool:
    """Whether `install()` has run in this process."""
    return _installed
