"""What the stack's custom resources do on Create, Update and Delete (no SDK calls here)."""

from __future__ import annotations

from typing import Any

from skylight.gateways.outbound_federation import OutboundFederation

#: One per account: the account setting, not something this stack owns exclusively.
OUTBOUND_FEDERATION_ID = "outbound-web-identity-federation"


def outbound_federation_response(
    event: dict[str, Any], federation: OutboundFederation, reason_on_failure: str | None = None
) -> dict[str, Any]:
    """The answer to CloudFormation for the outbound-federation resource.

    Create and Update turn the account's outbound identity federation on (nothing changes if it is
    on already) and report its issuer. Delete leaves it on: other workloads of the account may rely
    on it, and turning it off is the operator's deliberate call (`aws iam
    disable-outbound-web-identity-federation`).
    """
    answer: dict[str, Any] = {
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "PhysicalResourceId": event.get("PhysicalResourceId") or OUTBOUND_FEDERATION_ID,
    }
    if reason_on_failure is not None:
        return {**answer, "Status": "FAILED", "Reason": reason_on_failure}
    if event["RequestType"] == "Delete":
        return {**answer, "Status": "SUCCESS"}
    return {**answer, "Status": "SUCCESS", "Data": {"Issuer": federation.enable()}}
