"""boto3 clients that address a given emulated account.

moto routes a request to an account by the access key's owner or, overriding that, by the
`x-moto-account-id` request header (honoured by the server and by the in-process mock). Signing
with moto's default credentials and that header acts as the account's root user.
"""

from __future__ import annotations

from typing import Any

import boto3

ACCOUNT_HEADER = "x-moto-account-id"


def address_account(client: Any, account_id: str) -> Any:
    """Make every request of `client` act in `account_id`; returns the client."""

    def add_header(request: Any, **_: Any) -> None:
        request.headers[ACCOUNT_HEADER] = account_id

    client.meta.events.register("before-sign", add_header)
    return client


def client_for_account(
    service: str,
    account_id: str | None,
    endpoint_url: str | None = None,
    region: str = "us-east-1",
    session: boto3.Session | None = None,
    **kwargs: Any,
) -> Any:
    """A boto3 client for `service` acting as the root of `account_id` in the emulator.

    `account_id=None` leaves the account to the credentials (moto's default account for its
    dummy credentials). Leave `endpoint_url` as None inside `mock_aws`; pass the emulator's
    endpoint for the server. Extra keyword arguments go to `boto3.client` (credentials, config).
    Pass a long-lived `session` to reuse its loaded service models (moto's `mock_aws` resets the
    default session, so clients built from it reload them every time).
    """
    kwargs.setdefault("aws_access_key_id", "testing")
    kwargs.setdefault("aws_secret_access_key", "testing")
    factory = session.client if session is not None else boto3.client
    client = factory(service, region_name=region, endpoint_url=endpoint_url, **kwargs)
    return client if account_id is None else address_account(client, account_id)
