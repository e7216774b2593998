"""IAM outbound identity federation of the platform account: turned on once, its issuer read."""

from __future__ import annotations

from typing import Any, Protocol

from skylight.gateways.clients import FirstUseClient


class OutboundFederation(Protocol):
    def enable(self) -> str:
        """Turn outbound identity federation on for the account (if it is not yet); the issuer URL."""
        ...


class IamOutboundFederation:
    # IAM is global: its one endpoint lives in us-east-1 (aws partition).
    client = FirstUseClient("iam")

    def __init__(self, region: str = "us-east-1", client: Any = None) -> None:
        self._region = region
        self._client = client

    def enable(self) -> str:
        try:
            return str(self.client.enable_outbound_web_identity_federation()["IssuerIdentifier"])
        except self.client.exceptions.FeatureEnabledException:
            # Already on (the account turned it on itself, or another deployment did): read it.
            return str(self.client.get_outbound_web_identity_federation_info()["IssuerIdentifier"])
