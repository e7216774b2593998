"""An offline AWS emulator for Skylight: moto plus the patches that close the gaps Skylight hits.

The server (one per process; `port=0` picks a free port)::

    from local.emulator import start_emulator

    with start_emulator(port=0) as emulator:
        emulator.client("iam", account_id="111111111111").create_role(...)  # a customer account
        emulator.client("iam").create_role(...)  # the platform account, 123456789012
        session = lambda_execution_credentials(role_arn)  # a role session, as Lambda hands one over

In-process, in a pytest fixture::

    from moto import mock_aws
    from local.emulator import EMULATOR_MOTO_CONFIG, install

    @pytest.fixture
    def aws():
        install()  # idempotent
        with mock_aws(config=EMULATOR_MOTO_CONFIG):
            yield

`client_for_account(service, account_id, endpoint_url, region)` builds a client acting as the root
of an account (endpoint_url=None in-process). As in AWS, an account root may do anything in its
account except assume a role; every user and role session, in any account, is held to IAM.

Outbound identity federation works in both: after `iam.enable_outbound_web_identity_federation()`,
users and role sessions of the account get JWTs from `sts.get_web_identity_token(...)`, verifiable
through the issuer's OIDC discovery at `https://127.0.0.1:<port>/<uuid>` (HTTPS; trust
`outbound_federation.ca_bundle_path()`). `outbound_federation.minted_tokens()` lists the tokens
handed out, `issuer_of(account_id)` an account's issuer.
"""

from local.emulator.clients import ACCOUNT_HEADER, address_account, client_for_account
from local.emulator.patches import install, is_installed
from local.emulator.server import (
    EMULATOR_MOTO_CONFIG,
    PLATFORM_ACCOUNT_ID,
    EmulatorHandle,
    lambda_execution_credentials,
    start_emulator,
)

__all__ = [
    "ACCOUNT_HEADER",
    "EMULATOR_MOTO_CONFIG",
    "PLATFORM_ACCOUNT_ID",
    "EmulatorHandle",
    "address_account",
    "client_for_account",
    "install",
    "is_installed",
    "lambda_execution_credentials",
    "start_emulator",
]
