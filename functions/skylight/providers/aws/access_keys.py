"""Long-term access keys: their shape, and their validation in two round trips.

Some tenants cannot use cross-account roles (GovCloud/China set-ups, strict reviews, quick trials)
and hand over an IAM user's access key instead. The key is checked with the calls the crawler would
make. Round 1: GetCallerIdentity (which account, which identity), alone, so that a root user's key
(refused) or a key AWS does not know is used for nothing else. Round 2, at once: the key's own
creation date (for age warnings) and the same harmless permission probes as a role. No SDK call
happens here: every call goes through `AwsGateway`.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from skylight.models.domain import Access, CredentialAgeSource, Permissions, StepOutcome, ValidationReport
from skylight.models.errors import InvalidRequest
from skylight.providers.aws.gateway import (
    HOME_REGIONS,
    AwsCallError,
    AwsGateway,
    CallerIdentity,
    TemporaryCredentials,
)
from skylight.providers.aws.identifiers import ACCESS_KEY_ID_PATTERN, SECRET_ACCESS_KEY_PATTERN
from skylight.providers.aws.permissions import probes_for
from skylight.providers.aws.validation import (
    STEP_PARSE,
    STEP_READ,
    STEP_WRITE,
    account_state,
    check_permissions,
    record_sts_failure,
    run_probe,
)
from skylight.providers.steps import StepLog, Timed, timed

#: The vault purpose (and KMS encryption context) of AWS access keys.
PURPOSE = "aws_access_key"

STEP_IDENTITY = "verify_identity"
STEP_NOT_ROOT = "not_root_user"
STEP_KEY_AGE = "key_age"

_ACCESS_KEY_ID = re.compile(ACCESS_KEY_ID_PATTERN)
_SECRET_ACCESS_KEY = re.compile(SECRET_ACCESS_KEY_PATTERN)


@dataclass(frozen=True)
class AccessKey:
    """An access key in memory; the secret never shows in a repr, a log line or an error."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    partition: str = "aws"

    def public(self) -> dict[str, str]:
        return {"type": "access_key", "access_key_id": self.access_key_id, "partition": self.partition}

    def sealable(self) -> bytes:
        """The bytes the vault encrypts."""
        return json.dumps(
            {"access_key_id": self.access_key_id, "secret_access_key": self.secret_access_key}
        ).encode()

    def credentials(self) -> TemporaryCredentials:
        return TemporaryCredentials(self.access_key_id, self.secret_access_key, session_token=None)


def parse_access_key(credentials: dict[str, Any]) -> AccessKey:
    """Check the key's shape; errors name the field and never repeat its value."""
    fields = []
    access_key_id = credentials.get("access_key_id")
    secret = credentials.get("secret_access_key")
    partition = credentials.get("partition") or "aws"
    if not isinstance(access_key_id, str) or not _ACCESS_KEY_ID.fullmatch(access_key_id):
        fields.append(
            {
                "field": "credentials.access_key_id",
                "message": "must be a long-term IAM access key id (AKIA...)",
            }
        )
    if not isinstance(secret, str) or not _SECRET_ACCESS_KEY.fullmatch(secret):
        fields.append({"field": "credentials.secret_access_key", "message": "is not a secret access key"})
    if partition not in HOME_REGIONS:
        fields.append(
            {"field": "credentials.partition", "message": f"must be one of {', '.join(HOME_REGIONS)}"}
        )
    if fields:
        raise InvalidRequest("credentials are not a usable AWS access key", fields=fields)
    return AccessKey(str(access_key_id), str(secret), str(partition))


def open_access_key(plaintext: bytes | bytearray, partition: str) -> AccessKey:
    """The access key from the vault's plaintext (the caller wipes the buffer)."""
    document = json.loads(plaintext)
    return AccessKey(document["access_key_id"], document["secret_access_key"], partition)


def planned_steps(access: Access) -> list[str]:
    steps = [STEP_PARSE, STEP_IDENTITY, STEP_NOT_ROOT, STEP_KEY_AGE, STEP_READ]
    return [*steps, STEP_WRITE] if access is Access.READ_WRITE else steps


def validate_access_key(gateway: AwsGateway, key: AccessKey, access: Access) -> ValidationReport:
    """Prove the key works and is not the root user's; say precisely what is wrong, if anything."""
    log = StepLog(planned_steps(access))
    log.record(STEP_PARSE, StepOutcome.PASSED, f"access key {key.access_key_id} in partition {key.partition}")
    probes = probes_for(access)
    # Every client now, so that round 2 starts the moment round 1 ends.
    customer = gateway.customer_account(
        key.credentials(), key.partition, ["sts", "iam", *(p.client for p in probes)]
    )
    identity = timed(customer.caller_identity)
    # Nothing else is sent with a key AWS refused or with the root user's key: each call made with a
    # root key would set off the customer's root-activity alarms.
    if identity.value is None:
        return _identity_failed(log, identity)
    if identity.value.arn.endswith(":root"):
        return _root_refused(log, identity)
    with ThreadPoolExecutor(max_workers=len(probes) + 1) as pool:
        created_f = pool.submit(timed, lambda: customer.access_key_created(key.access_key_id))
        probe_fs = [pool.submit(run_probe, customer, probe) for probe in probes]
        created, checks = created_f.result(), [f.result() for f in probe_fs]

    log.record(
        STEP_IDENTITY,
        StepOutcome.PASSED,
        f"calls run as {identity.value.arn} in account {identity.value.account}",
        identity.duration_ms,
    )
    log.record(STEP_NOT_ROOT, StepOutcome.PASSED, "the key belongs to an IAM user, not to the root user")
    created_at, source = _record_key_age(log, created)
    failure = check_permissions(log, checks, access)
    report = failure or ValidationReport(result="connected", message="connected", steps=[])
    return report.model_copy(
        update={
            "steps": log.steps(),
            "permissions": Permissions(checks=[check for check, _ in checks]),
            "provider_account_id": identity.value.account,
            "provider_state": account_state(identity_arn=identity.value.arn),
            "credentials_created_at": created_at,
            "credentials_age_source": source,
        }
    )


def _identity_failed(log: StepLog, identity: Timed[CallerIdentity]) -> ValidationReport:
    return record_sts_failure(
        log,
        STEP_IDENTITY,
        identity,
        "AWS refused the access key",
        "invalid_credentials",
        {
            "likely_causes": [
                {"cause": "unknown_key", "check": "The access key id must be an active key of an IAM user."},
                {
                    "cause": "wrong_secret",
                    "check": "The secret access key must be the one shown when the key was created.",
                },
                {
                    "cause": "key_deactivated",
                    "check": "The key must be Active in IAM (not Inactive or deleted).",
                },
            ],
        },
    )


def _root_refused(log: StepLog, identity: Timed[CallerIdentity]) -> ValidationReport:
    assert identity.value is not None
    log.record(
        STEP_IDENTITY,
        StepOutcome.PASSED,
        f"calls run as {identity.value.arn} in account {identity.value.account}",
        identity.duration_ms,
    )
    message = (
        "this is the root user's access key: it can do everything in the account and cannot be limited by "
        "any policy. Create an IAM user with the read-only policy from the onboarding kit and use its key."
    )
    log.record(STEP_NOT_ROOT, StepOutcome.FAILED, message)
    return ValidationReport(result="root_credentials", message=message, steps=log.steps())


def _record_key_age(
    log: StepLog, created: Timed[datetime | None]
) -> tuple[datetime | None, CredentialAgeSource]:
    if created.value is not None:
        log.record(
            STEP_KEY_AGE,
            StepOutcome.PASSED,
            f"the key was created on {created.value.date().isoformat()}",
            created.duration_ms,
        )
        return created.value, CredentialAgeSource.PROVIDER
    code = created.error.code if isinstance(created.error, AwsCallError) else None
    log.record(
        STEP_KEY_AGE,
        StepOutcome.WARNING,
        "could not read the key's creation date (allow iam:ListAccessKeys on the user itself); "
        "its age counts from now",
        created.duration_ms,
        code,
    )
    return None, CredentialAgeSource.UPLOAD
