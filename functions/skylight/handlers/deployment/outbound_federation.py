"""Custom resource: the platform account's IAM outbound identity federation, and its issuer URL."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from skylight.gateways.custom_resources import send_response
from skylight.gateways.outbound_federation import IamOutboundFederation
from skylight.logic.deployment import outbound_federation_response

logger = Logger()


@logger.inject_lambda_context(log_event=False)
def on_event(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    federation = IamOutboundFederation()
    try:
        answer = outbound_federation_response(event, federation)
    except Exception as error:
        # CloudFormation must hear of every failure, or it waits an hour for an answer.
        logger.exception("outbound federation request failed")
        reason = f"{type(error).__name__}: {error}"[:1000]  # IAM's errors carry no secret
        answer = outbound_federation_response(event, federation, reason_on_failure=reason)
    send_response(event["ResponseURL"], answer)
    return {"Status": answer["Status"]}
