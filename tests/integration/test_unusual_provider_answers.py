"""What AWS may answer besides yes and no: throttling, outages, an identity that doesn't match.

The emulated STS is made to answer these through a botocore hook on the gateway's clients: the
boundary changes, Skylight's code does not.
"""

from skylight.config import get_settings
from skylight.handlers import dependencies
from skylight.providers.aws.gateway import Boto3AwsGateway
from skylight.providers.aws.provider import AwsProvider
from tests.faults import canned_answer
from tests.integration.conftest import connect_body, external_id_of
from tests.support import CUSTOMER_ACCOUNT, PLATFORM_PRINCIPAL_ARN, create_customer_role, trust_policy

THROTTLED = (
    b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    b"<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>"
)


def sts_answers(status: int, body: bytes, operation: str):
    """Emulate STS answering `operation` with an error (the boundary, not Skylight's code)."""

    def before_send(request, **_):
        if f"Action={operation}" in (
            request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        ):
            return canned_answer(request.url, status, {"Content-Type": "text/xml"}, body)
        return None

    return (("before-send", before_send),)


def use_gateway_hooks(hooks):
    provider = AwsProvider(
        gateway=Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, get_settings().region, event_hooks=hooks),
        platform_principal_arn=PLATFORM_PRINCIPAL_ARN,
    )
    dependencies.services().provider = lambda name: provider


def test_sts_throttling_is_a_503_retry_later_with_the_step_log(api):
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id_of(api)))
    use_gateway_hooks(sts_answers(400, THROTTLED, "AssumeRole"))
    status, body = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 503
    assert body["error"]["code"] == "retry_later"
    assume = next(s for s in body["error"]["steps"] if s["name"] == "assume_role")
    assert (assume["outcome"], assume["provider_error_code"]) == ("failed", "Throttling")
    assert api("GET", "/v1/accounts")[1]["items"] == []


def test_an_sts_outage_is_a_503_retry_later(api):
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id_of(api)))
    outage = THROTTLED.replace(b"Throttling", b"ServiceUnavailable")
    use_gateway_hooks(sts_answers(503, outage, "AssumeRole"))
    status, body = api("POST", "/v1/accounts", connect_body(role.arn))
    assert (status, body["error"]["code"]) == (503, "retry_later")


def test_a_throttled_retest_keeps_the_accounts_status(api):
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id_of(api)))
    status, account = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 201
    use_gateway_hooks(sts_answers(400, THROTTLED, "AssumeRole"))
    status, result = api("POST", f"/v1/accounts/{account['id']}/test")
    assert (status, result["result"], result["account"]["status"]) == (200, "retry_later", "connected")


OTHER_ACCOUNT_IDENTITY = (
    b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
    b"<Arn>arn:aws:sts::999999999999:assumed-role/Skylight/s</Arn><UserId>AROA:s</UserId>"
    b"<Account>999999999999</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId>"
    b"</ResponseMetadata></GetCallerIdentityResponse>"
)


def test_credentials_of_another_account_than_the_arns_are_an_identity_mismatch(api):
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id_of(api)))
    use_gateway_hooks(sts_answers(200, OTHER_ACCOUNT_IDENTITY, "GetCallerIdentity"))
    status, body = api("POST", "/v1/accounts", connect_body(role.arn))
    assert (status, body["error"]["code"]) == (422, "identity_mismatch")
    identity = next(s for s in body["error"]["steps"] if s["name"] == "verify_identity")
    assert identity["outcome"] == "failed" and "999999999999" in identity["message"]
    assert api("GET", "/v1/accounts")[1]["items"] == []
