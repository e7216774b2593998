"""What a tenant is told when AWS refuses the platform, and how the test log is kept complete."""

from skylight.models.domain import StepOutcome
from skylight.providers.aws.gateway import AwsCallError
from skylight.providers.aws.validation import likely_causes_of_denied_assume_role
from skylight.providers.steps import StepLog, timed

ROLE = "arn:aws:iam::111122223333:role/Skylight"
PRINCIPAL = "arn:aws:iam::123456789012:role/Skylight-platform-principal"


def test_likely_causes_come_most_common_first_and_name_what_to_check():
    causes = likely_causes_of_denied_assume_role(ROLE, PRINCIPAL)
    assert [c["cause"] for c in causes] == [
        "external_id_mismatch",
        "principal_not_trusted",
        "role_not_found",
        "blocked_by_boundary_or_scp",
    ]
    assert PRINCIPAL in causes[1]["check"]
    assert ROLE in causes[2]["check"]


def test_throttling_and_outages_are_retryable_but_denials_are_not():
    assert AwsCallError("Throttling", "Rate exceeded", 400).retryable
    assert AwsCallError("ServiceUnavailable", "down", 503).retryable
    assert AwsCallError("Whatever", "boom", 500).retryable
    assert AwsCallError("EndpointConnectionError", "unreachable").retryable
    assert not AwsCallError("AccessDenied", "nope", 403).retryable


def test_step_log_lists_every_planned_step_in_order_and_marks_the_unrun_ones_skipped():
    log = StepLog(["a", "b", "c"])
    log.record("b", StepOutcome.FAILED, "b failed", 5, "AccessDenied")
    steps = log.steps()
    assert [s.name for s in steps] == ["a", "b", "c"]
    assert [s.outcome for s in steps] == [StepOutcome.SKIPPED, StepOutcome.FAILED, StepOutcome.SKIPPED]
    assert steps[1].provider_error_code == "AccessDenied"


def test_timed_captures_errors_instead_of_raising():
    def fail() -> None:
        raise AwsCallError("AccessDenied", "no")

    outcome = timed(fail)
    assert outcome.value is None
    assert isinstance(outcome.error, AwsCallError)
    assert timed(lambda: 3).value == 3
