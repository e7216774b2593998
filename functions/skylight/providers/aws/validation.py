"""Validating a cross-account role connection, step by step, in at most two round trips.

Round 1 (concurrently): AssumeRole with the tenant's External ID, and the two confused-deputy
attempts (no External ID, a wrong one made like a real one). Nothing is called with the role's
credentials unless both attempts were denied (STS's `AccessDenied`, nothing else): a role that any
caller of the platform could assume is refused before Skylight acts in it, and told nothing about it.
Round 2 (concurrently, with the temporary credentials): GetCallerIdentity, the role's trust policy
and one harmless call per action a crawl needs. No SDK call happens here: every call goes through
`AwsGateway`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from skylight.models.domain import Access, PermissionCheck, Permissions, StepOutcome, ValidationReport
from skylight.providers.aws.arn import RoleArn
from skylight.providers.aws.external_ids import new_external_id
from skylight.providers.aws.gateway import (
    AwsCallError,
    AwsGateway,
    CallerIdentity,
    CustomerAccount,
    TemporaryCredentials,
)
from skylight.providers.aws.onboarding import trust_policy
from skylight.providers.aws.permissions import DENIED_ERROR_CODES, Probe, probes_for
from skylight.providers.aws.trust_review import parse_policy_document, review_trust_policy
from skylight.providers.steps import StepLog, Timed, timed

SESSION_NAME = "skylight-connection-check"

STEP_PARSE = "parse_credentials"
STEP_ASSUME = "assume_role"
STEP_EXTERNAL_ID = "external_id_enforced"
STEP_IDENTITY = "verify_identity"
STEP_TRUST_SCOPE = "trust_policy_scope"
STEP_READ = "read_permissions"
STEP_WRITE = "write_permissions"

#: STS's one answer that proves a confused-deputy attempt was refused; anything else proves nothing.
STS_DENIED = "AccessDenied"
# How AWS words a denial that comes from the caller's own identity policy, not the role's trust.
_EXPLICIT_IDENTITY_DENY = "explicit deny in an identity-based policy"


def planned_steps(access: Access) -> list[str]:
    steps = [STEP_PARSE, STEP_ASSUME, STEP_EXTERNAL_ID, STEP_IDENTITY, STEP_TRUST_SCOPE, STEP_READ]
    return [*steps, STEP_WRITE] if access is Access.READ_WRITE else steps


def validate_role(
    gateway: AwsGateway,
    role: RoleArn,
    access: Access,
    external_id: str,
    platform_principal_arn: str,
    *,
    external_id_generation: int = 1,
    previous_external_id: str | None = None,
) -> ValidationReport:
    """Run every check on a role and say precisely what is wrong, if anything.

    During an External ID rotation the previous ID is tried too (in the same round trip); the
    report's `external_id_generation` says which one the role accepted.
    """
    log = StepLog(planned_steps(access))
    log.record(STEP_PARSE, StepOutcome.PASSED, f"{role} is an IAM role in partition {role.partition}")
    principal = platform_principal_arn.split(":")
    platform_partition, platform_account = principal[1], principal[4]
    if role.partition != platform_partition:
        return _partition_mismatch(log, role, platform_partition)
    if role.account_id == platform_account:
        return _platform_account(log, role)

    role_arn = str(role)
    with ThreadPoolExecutor(max_workers=4) as pool:
        assumed_f = pool.submit(timed, lambda: gateway.assume_role(role_arn, external_id, SESSION_NAME))
        previous_f = (
            pool.submit(timed, lambda: gateway.assume_role(role_arn, previous_external_id, SESSION_NAME))
            if previous_external_id
            else None
        )
        without_id_f = pool.submit(timed, lambda: gateway.assume_role(role_arn, None, SESSION_NAME))
        wrong_id_f = pool.submit(
            timed, lambda: gateway.assume_role(role_arn, new_external_id(), SESSION_NAME)
        )
        assumed, without_id, wrong_id = assumed_f.result(), without_id_f.result(), wrong_id_f.result()
        previous = previous_f.result() if previous_f else None

    used = "your External ID"
    if assumed.value is None and previous is not None and previous.value is not None:
        # The role still trusts only the ID being retired: it works, and says so.
        assumed, used, external_id_generation = (
            previous,
            "your previous External ID",
            external_id_generation - 1,
        )
    if assumed.value is not None:
        log.record(STEP_ASSUME, StepOutcome.PASSED, f"assumed {role_arn} with {used}", assumed.duration_ms)
    # Refuse before acting: the role's credentials are dropped unused unless both attempts were denied.
    if without_id.value is not None or wrong_id.value is not None:
        if assumed.value is None:
            _record_refused_assume(log, assumed, role_arn)
        return _insecure(log, without_id, wrong_id, platform_principal_arn, external_id)
    if assumed.value is None:
        known_ids = [external_id, *([previous_external_id] if previous_external_id else [])]
        return _assume_role_failed(log, assumed, role_arn, platform_principal_arn, known_ids)
    unproven = _check_external_id_enforced(log, without_id, wrong_id)
    if unproven is not None:
        return unproven

    identity, trust, checks = _round_two(gateway, assumed.value, role, probes_for(access))
    _record_trust_review(log, trust, platform_principal_arn)
    permissions = Permissions(checks=[check for check, _ in checks])
    # Every check of round two ran, so every one is logged; the first failure decides the result.
    failures = [_check_identity(log, identity, role), check_permissions(log, checks, access)]
    report = next((f for f in failures if f is not None), None) or ValidationReport(
        result="connected", message="connected", steps=[]
    )
    return report.model_copy(
        update={
            "steps": log.steps(),
            "permissions": permissions,
            "provider_account_id": identity.value.account if identity.value else None,
            "provider_state": account_state(
                identity_arn=identity.value.arn if identity.value else None,
                external_id_generation=external_id_generation,
            ),
        }
    )


def account_state(identity_arn: str | None, external_id_generation: int | None = None) -> dict[str, Any]:
    """What the AWS provider records on an account: the identity it reached and, for roles, the
    generation of the External ID the role let the platform in with (what an External ID rotation
    must know of every account, working or not)."""
    state = {"identity_arn": identity_arn, "external_id_generation": external_id_generation}
    return {key: value for key, value in state.items() if value is not None}


def _round_two(
    gateway: AwsGateway, credentials: TemporaryCredentials, role: RoleArn, probes: tuple[Probe, ...]
) -> tuple[Timed[CallerIdentity], Timed[Any], list[tuple[PermissionCheck, int]]]:
    customer = gateway.customer_account(
        credentials, role.partition, ["sts", "iam", *(p.client for p in probes)], role.account_id
    )
    with ThreadPoolExecutor(max_workers=len(probes) + 2) as pool:
        identity_f = pool.submit(timed, customer.caller_identity)
        trust_f = pool.submit(timed, lambda: customer.role_trust_policy(role.name))
        probe_fs = [pool.submit(run_probe, customer, probe) for probe in probes]
        return identity_f.result(), trust_f.result(), [f.result() for f in probe_fs]


def _record_trust_review(log: StepLog, trust: Timed[Any], platform_principal_arn: str) -> None:
    """Advice, never a reason to refuse: the External ID check above is what keeps the role safe."""
    if trust.value is None:
        code = trust.error.code if isinstance(trust.error, AwsCallError) else type(trust.error).__name__
        message = (
            "could not read the role's trust policy; allow iam:GetRole on this role so Skylight can check it"
        )
        log.record(STEP_TRUST_SCOPE, StepOutcome.WARNING, message, trust.duration_ms, code)
        return
    try:
        review = review_trust_policy(parse_policy_document(trust.value), platform_principal_arn)
    except ValueError:
        log.record(STEP_TRUST_SCOPE, StepOutcome.WARNING, "the role's trust policy could not be parsed")
        return
    log.record(STEP_TRUST_SCOPE, review.outcome, review.message, trust.duration_ms)


def run_probe(customer: CustomerAccount, probe: Probe) -> tuple[PermissionCheck, int]:
    outcome = timed(lambda: customer.probe(probe))
    granted: bool | None = True
    code = None
    if isinstance(outcome.error, AwsCallError):
        code = outcome.error.code
        if code in probe.allowed_error_codes:
            granted = True
        elif code in DENIED_ERROR_CODES:
            granted = False
        else:
            granted = None  # throttled or inconclusive: neither proof of access nor of its absence
    elif outcome.error is not None:
        granted, code = None, type(outcome.error).__name__
    check = PermissionCheck(
        service=probe.service, action=probe.action, kind=probe.kind, granted=granted, provider_error_code=code
    )
    return check, outcome.duration_ms


def _partition_mismatch(log: StepLog, role: RoleArn, platform_partition: str) -> ValidationReport:
    message = (
        f"this Skylight deployment runs in the '{platform_partition}' partition and cannot assume roles "
        f"in '{role.partition}'; connect it to a deployment in that partition"
    )
    log.record(STEP_ASSUME, StepOutcome.FAILED, message)
    return ValidationReport(result="partition_mismatch", message=message, steps=log.steps())


def _platform_account(log: StepLog, role: RoleArn) -> ValidationReport:
    message = (
        f"{role} is in the platform's own AWS account: Skylight never assumes roles there, whatever "
        "their trust policy says; connect a role in your own account"
    )
    log.record(STEP_ASSUME, StepOutcome.FAILED, message, provider_error_code="PlatformAccount")
    return ValidationReport(
        result="access_denied",
        message=message,
        steps=log.steps(),
        diagnosis={
            "provider_error": {"code": "PlatformAccount", "message": message},
            "likely_causes": [_PLATFORM_BOUNDARY],
        },
    )


def _assume_role_failed(
    log: StepLog,
    assumed: Timed[TemporaryCredentials],
    role_arn: str,
    principal_arn: str,
    external_ids: list[str],
) -> ValidationReport:
    return record_sts_failure(
        log,
        STEP_ASSUME,
        assumed,
        f"AWS refused to let the platform assume {role_arn}",
        "access_denied",
        {
            "likely_causes": likely_causes_of_denied_assume_role(
                role_arn, principal_arn, _message_of(assumed.error)
            ),
            "expected_trust_policy": trust_policy(principal_arn, external_ids),
        },
    )


def record_sts_failure(
    log: StepLog, step: str, call: Timed[Any], refused: str, result: str, diagnosis: dict[str, Any]
) -> ValidationReport:
    """A failed STS call: `retry_later` on throttling or an outage, else `result` with AWS's own code."""
    error = call.error
    code = error.code if isinstance(error, AwsCallError) else type(error).__name__
    aws_message = error.message if isinstance(error, AwsCallError) else "unexpected error"
    if isinstance(error, AwsCallError) and error.retryable:
        message = (
            f"AWS STS did not answer in time ({code}); nothing is wrong with your set-up, try again shortly"
        )
        log.record(step, StepOutcome.FAILED, message, call.duration_ms, code)
        return ValidationReport(result="retry_later", message=message, steps=log.steps(), retryable=True)
    message = f"{refused}: {aws_message}"
    log.record(step, StepOutcome.FAILED, message, call.duration_ms, code)
    return ValidationReport(
        result=result,
        message=message,
        steps=log.steps(),
        diagnosis={"provider_error": {"code": code, "message": aws_message}, **diagnosis},
    )


_PLATFORM_BOUNDARY = {
    "cause": "platform_boundary",
    "check": "The platform never assumes roles in its own AWS account, nor (unless its operator allows "
    "it) in an account of its own AWS Organization: connect a role in an account outside them.",
}


def _message_of(error: Exception | None) -> str:
    return error.message if isinstance(error, AwsCallError) else ""


def likely_causes_of_denied_assume_role(
    role_arn: str, principal_arn: str, aws_message: str = ""
) -> list[dict[str, str]]:
    """Why AWS says AccessDenied to AssumeRole, most common first, each with what to check.

    A denial by the platform principal's own policy (AWS says "explicit deny in an identity-based
    policy") can only be the platform's boundary: the role is in the platform's organization."""
    boundary = [_PLATFORM_BOUNDARY] if _EXPLICIT_IDENTITY_DENY in aws_message else []
    return [
        *boundary,
        {
            "cause": "external_id_mismatch",
            "check": "The trust policy's Condition must be StringEquals sts:ExternalId with exactly the "
            "External ID from GET /v1/onboarding/aws (missing, mistyped or an old ID all fail).",
        },
        {
            "cause": "principal_not_trusted",
            "check": f"The trust policy's Principal must be exactly {principal_arn} "
            "(case-sensitive; re-save the policy if that role was ever recreated).",
        },
        {
            "cause": "role_not_found",
            "check": f"A role {role_arn} must exist: check the account id, path and name.",
        },
        {
            "cause": "blocked_by_boundary_or_scp",
            "check": "A permissions boundary or an organization SCP must not deny "
            "sts:AssumeRole on this role.",
        },
    ]


def _check_identity(log: StepLog, identity: Timed[CallerIdentity], role: RoleArn) -> ValidationReport | None:
    if identity.value is None:
        error = identity.error
        code = error.code if isinstance(error, AwsCallError) else type(error).__name__
        retryable = isinstance(error, AwsCallError) and error.retryable
        message = f"GetCallerIdentity failed with the role's credentials ({code})"
        log.record(STEP_IDENTITY, StepOutcome.FAILED, message, identity.duration_ms, code)
        return ValidationReport(
            result="retry_later" if retryable else "access_denied",
            message=message,
            steps=[],
            retryable=retryable,
        )
    if identity.value.account != role.account_id:
        message = (
            f"the credentials belong to account {identity.value.account}, not to {role.account_id} "
            "named in the role ARN"
        )
        log.record(STEP_IDENTITY, StepOutcome.FAILED, message, identity.duration_ms)
        return ValidationReport(result="identity_mismatch", message=message, steps=[])
    log.record(
        STEP_IDENTITY,
        StepOutcome.PASSED,
        f"calls run as {identity.value.arn} in account {identity.value.account}",
        identity.duration_ms,
    )
    return None


def _insecure(
    log: StepLog,
    without_id: Timed[TemporaryCredentials],
    wrong_id: Timed[TemporaryCredentials],
    principal_arn: str,
    external_id: str,
) -> ValidationReport:
    """The role lets the platform in without the tenant's External ID: refused, and nothing else about
    the role or its account is looked at or told (the steps after this one are skipped)."""
    accepted = [
        label for label, t in (("no External ID", without_id), ("a wrong External ID", wrong_id)) if t.value
    ]
    message = (
        f"the role can also be assumed with {' and with '.join(accepted)}: anyone who knows the role ARN "
        "could make the platform act in your account (confused deputy). Add the sts:ExternalId condition."
    )
    log.record(STEP_EXTERNAL_ID, StepOutcome.FAILED, message, _longest(without_id, wrong_id))
    return ValidationReport(
        result="insecure_trust_policy",
        message=message,
        steps=log.steps(),
        diagnosis={
            "accepted_without_external_id": without_id.value is not None,
            "accepted_with_wrong_external_id": wrong_id.value is not None,
            "corrected_trust_policy": trust_policy(principal_arn, [external_id]),
        },
    )


def _record_refused_assume(log: StepLog, assumed: Timed[TemporaryCredentials], role_arn: str) -> None:
    code = assumed.error.code if isinstance(assumed.error, AwsCallError) else type(assumed.error).__name__
    message = f"AWS refused to let the platform assume {role_arn} with your External ID"
    log.record(STEP_ASSUME, StepOutcome.FAILED, message, assumed.duration_ms, code)


def _check_external_id_enforced(
    log: StepLog, without_id: Timed[TemporaryCredentials], wrong_id: Timed[TemporaryCredentials]
) -> ValidationReport | None:
    """Both attempts failed: they prove the External ID is required only if STS denied both."""
    duration = _longest(without_id, wrong_id)
    unproven = [t.error for t in (without_id, wrong_id) if not _denied(t)]
    if unproven:
        code = getattr(unproven[0], "code", type(unproven[0]).__name__)
        message = f"could not prove the External ID is required ({code}); try again shortly"
        log.record(STEP_EXTERNAL_ID, StepOutcome.FAILED, message, duration, code)
        return ValidationReport(result="retry_later", message=message, steps=log.steps(), retryable=True)
    log.record(
        STEP_EXTERNAL_ID,
        StepOutcome.PASSED,
        "the role refuses the platform without your External ID and with a wrong one",
        duration,
    )
    return None


def _longest(*attempts: Timed[Any]) -> int:
    return max(attempt.duration_ms for attempt in attempts)


def _denied(attempt: Timed[TemporaryCredentials]) -> bool:
    """Only STS's AccessDenied proves a confused-deputy attempt was refused: throttling, an outage or
    an unknown answer proves nothing, and never counts as a pass."""
    return isinstance(attempt.error, AwsCallError) and attempt.error.code == STS_DENIED


def check_permissions(
    log: StepLog, checks: list[tuple[PermissionCheck, int]], access: Access
) -> ValidationReport | None:
    reads = [(c, d) for c, d in checks if c.kind == "read"]
    writes = [(c, d) for c, d in checks if c.kind == "write"]
    failure = _record_probe_step(log, STEP_READ, reads, required=True)
    if access is Access.READ_WRITE:
        _record_probe_step(log, STEP_WRITE, writes, required=False)
    return failure


def _record_probe_step(
    log: StepLog, step: str, checks: list[tuple[PermissionCheck, int]], required: bool
) -> ValidationReport | None:
    duration = max((d for _, d in checks), default=0)
    missing = [c.action for c, _ in checks if c.granted is False]
    unknown = [c for c, _ in checks if c.granted is None]
    granted = [c.action for c, _ in checks if c.granted]
    details: dict[str, Any] = {"missing_actions": missing}
    if required and not granted and missing and not unknown:
        message = f"every probed action was denied: {', '.join(missing)}"
        log.record(step, StepOutcome.FAILED, message, duration, _first_code(checks))
        return ValidationReport(result="permission_denied", message=message, steps=[], diagnosis=details)
    if required and not granted and unknown:
        message = "AWS throttled or did not answer the permission checks; try again shortly"
        log.record(step, StepOutcome.FAILED, message, duration, unknown[0].provider_error_code)
        return ValidationReport(result="retry_later", message=message, steps=[], retryable=True)
    if missing or unknown:
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"could not check {', '.join(c.action for c in unknown)}"] if unknown else []
        log.record(
            step,
            StepOutcome.WARNING,
            f"{len(granted)} of {len(checks)} allowed; " + "; ".join(parts),
            duration,
            _first_code(checks),
        )
        return None
    log.record(step, StepOutcome.PASSED, f"all {len(checks)} allowed: {', '.join(granted)}", duration)
    return None


def _first_code(checks: list[tuple[PermissionCheck, int]]) -> str | None:
    return next((c.provider_error_code for c, _ in checks if c.provider_error_code and not c.granted), None)
