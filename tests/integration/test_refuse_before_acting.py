"""A role the platform could assume without the tenant's External ID is refused before Skylight acts
in it: nothing is called with its credentials, and nothing about it is told.

Every call the gateway makes is recorded with the key that signed it; the keys AssumeRole handed out
are the role's. The emulator evaluates each role's trust policy as STS does.
"""

from urllib.parse import parse_qs

import pytest

from skylight.config import get_settings
from skylight.handlers import dependencies
from skylight.providers.aws.gateway import Boto3AwsGateway
from skylight.providers.aws.provider import AwsProvider
from tests.faults import canned_answer
from tests.integration.conftest import connect_body, external_id_of, stored_items
from tests.integration.signed_calls import SignedCalls
from tests.support import (
    CUSTOMER_ACCOUNT,
    PLATFORM_PRINCIPAL_ARN,
    create_customer_role,
    set_trust_policy,
    trust_policy,
)

STEPS_AFTER_THE_CHECK = ["verify_identity", "trust_policy_scope", "read_permissions"]


def recorded_provider(*extra_hooks) -> SignedCalls:
    """The API's provider, its gateway recording every call (and answering with `extra_hooks` first)."""
    calls = SignedCalls(PLATFORM_PRINCIPAL_ARN)
    gateway = Boto3AwsGateway(
        PLATFORM_PRINCIPAL_ARN, get_settings().region, event_hooks=(*calls.hooks(), *extra_hooks)
    )
    provider = AwsProvider(gateway=gateway, platform_principal_arn=PLATFORM_PRINCIPAL_ARN)
    dependencies.services().provider = lambda name: provider
    return calls


def outcomes(steps):
    return {step["name"]: step["outcome"] for step in steps}


def assert_refused_without_acting(body, calls: SignedCalls, role_arn: str) -> None:
    error = body["error"]
    assert error["code"] == "insecure_trust_policy"
    assert outcomes(error["steps"])["external_id_enforced"] == "failed"
    assert {outcomes(error["steps"])[name] for name in STEPS_AFTER_THE_CHECK} == {"skipped"}
    # Nothing about the role or its account: no identity, no permission matrix, no probe result.
    assert not {"permissions", "identity_arn", "provider_account_id", "missing_actions"} & set(error)
    assert calls.role_keys, "the role was assumed, so its credentials existed"
    assert calls.with_role_credentials() == []
    assert {call.operation for call in calls.calls} == {"AssumeRole"}
    assert {call.role_arn for call in calls.calls} <= {PLATFORM_PRINCIPAL_ARN, role_arn}


def test_a_role_without_the_external_id_condition_is_refused_before_any_call_with_its_credentials(api):
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=None))
    calls = recorded_provider()

    status, body = api("POST", "/v1/accounts", connect_body(role.arn))

    assert status == 422
    assert_refused_without_acting(body, calls, role.arn)
    assert [item for item in stored_items() if item["sk"]["S"].startswith("ACCOUNT#")] == []


@pytest.mark.parametrize(
    "pattern",
    [
        # Shaped exactly like Skylight's IDs: the prefix and 32 URL-safe characters.
        "skylight-" + "?" * 32,
        "skylight-*",
    ],
)
def test_a_pattern_shaped_like_real_external_ids_is_caught(api, pattern):
    external_id_of(api)
    trust = trust_policy(external_id="unused")
    trust["Statement"][0]["Condition"] = {"StringLike": {"sts:ExternalId": pattern}}
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust)
    calls = recorded_provider()

    status, body = api("POST", "/v1/accounts", connect_body(role.arn))

    assert status == 422
    assert body["error"]["accepted_with_wrong_external_id"] is True
    assert body["error"]["accepted_without_external_id"] is False
    assert_refused_without_acting(body, calls, role.arn)


def _answer_negative_attempts_with(role_arn: str, external_id: str, status: int, code: str):
    """STS answers the attempts on `role_arn` without `external_id` (none, or a wrong one) with `code`."""
    body = (
        b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        b"<Code>" + code.encode() + b"</Code><Message>an answer that is not a denial</Message></Error>"
        b"<RequestId>1</RequestId></ErrorResponse>"
    )

    def before_send(request, **_):
        form = parse_qs(request.body.decode() if isinstance(request.body, bytes) else str(request.body or ""))
        on_role = form.get("Action") == ["AssumeRole"] and form.get("RoleArn") == [role_arn]
        if on_role and form.get("ExternalId") != [external_id]:
            return canned_answer(request.url, status, {"Content-Type": "text/xml"}, body)
        return None

    return (("before-send", before_send),)


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "Throttling"), (503, "ServiceUnavailable"), (400, "SomethingSTSNeverSaidBefore")],
)
def test_a_negative_attempt_answered_with_anything_but_access_denied_is_retry_later(api, status, code):
    external_id = external_id_of(api)
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id))
    calls = recorded_provider(*_answer_negative_attempts_with(role.arn, external_id, status, code))

    answer_status, body = api("POST", "/v1/accounts", connect_body(role.arn))

    assert (answer_status, body["error"]["code"]) == (503, "retry_later")
    step = next(s for s in body["error"]["steps"] if s["name"] == "external_id_enforced")
    assert (step["outcome"], step["provider_error_code"]) == ("failed", code)
    assert calls.with_role_credentials() == []
    assert api("GET", "/v1/accounts")[1]["items"] == []


def test_a_retest_refuses_a_role_that_became_insecure_before_acting_in_it(api, connected):
    account, role = connected
    set_trust_policy(role, trust_policy(external_id=None))
    calls = recorded_provider()

    status, result = api("POST", f"/v1/accounts/{account['id']}/test")

    assert (status, result["result"]) == (200, "insecure_trust_policy")
    assert calls.with_role_credentials() == []
    assert {outcomes(result["steps"])[name] for name in STEPS_AFTER_THE_CHECK} == {"skipped"}


def test_a_crawls_validation_refuses_a_role_that_became_insecure_before_acting_in_it(api, connected):
    from skylight.handlers.workflow import tasks
    from tests.support import LambdaContext

    account, role = connected
    set_trust_policy(role, trust_policy(external_id=None))
    calls = recorded_provider()

    result = tasks.validate_account(
        {"tenant_id": "tenant-a", "account_id": account["id"], "trigger": "schedule"}, LambdaContext()
    )

    assert (result["result"], result["status"]) == ("insecure_trust_policy", "failing")
    assert calls.with_role_credentials() == []


def test_a_secure_role_is_called_with_its_credentials_only_after_both_attempts_were_denied(api):
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id_of(api)))
    calls = recorded_provider()

    status, account = api("POST", "/v1/accounts", connect_body(role.arn))

    assert status == 201, account
    attempts = [c for c in calls.calls if c.operation == "AssumeRole" and c.role_arn == role.arn]
    assert len(attempts) == 3  # with the tenant's External ID, without one, with a wrong one
    role_calls = calls.with_role_credentials()
    assert len(role_calls) >= 10  # identity, trust policy, every probe
    assert min(call.started for call in role_calls) >= max(call.ended for call in attempts)


def test_a_role_in_the_platforms_own_account_is_refused_without_calling_sts(api):
    calls = recorded_provider()
    own_role = PLATFORM_PRINCIPAL_ARN.rsplit("/", 1)[0] + "/SomeInternalRole"

    status, body = api("POST", "/v1/accounts", connect_body(own_role))

    assert (status, body["error"]["code"]) == (422, "access_denied")
    assert body["error"]["likely_causes"][0]["cause"] == "platform_boundary"
    assert calls.calls == []
