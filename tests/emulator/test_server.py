"""Starting and stopping the emulator, and the helpers around it."""

from __future__ import annotations

import os
import socket

import pytest
from moto.core.config import default_user_config
from moto.core.responses import BaseResponse
from moto.sts.responses import TokenResponse

from local.emulator import EmulatorHandle, install, start_emulator
from local.emulator.server import lambda_execution_credentials
from tests.emulator.conftest import CUSTOMER, LAMBDA_ROLE, PLATFORM, Aws, trust


def test_start_configures_moto_and_stop_restores(emulator: EmulatorHandle) -> None:
    """A second emulator next to the session one: its own port, the same config, restored after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    before = os.environ.get("MOTO_PORT")

    with start_emulator(port=port) as second:
        assert second.endpoint_url == f"http://127.0.0.1:{port}"
        assert os.environ["MOTO_PORT"] == str(port)
        assert os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] == "false"
        assert default_user_config["stepfunctions"]["execute_state_machine"] is True
        assert default_user_config["lambda"]["use_docker"] is False
        assert second.client("sts").get_caller_identity()["Account"] == PLATFORM

    assert os.environ.get("MOTO_PORT") == before


def test_install_is_idempotent() -> None:
    hook = BaseResponse._authenticate_and_authorize_action
    assume_role = TokenResponse.assume_role

    install()
    install()

    assert BaseResponse._authenticate_and_authorize_action is hook
    assert TokenResponse.assume_role is assume_role


def test_client_for_account_addresses_the_account(server: Aws) -> None:
    assert server.client("sts", CUSTOMER).get_caller_identity()["Account"] == CUSTOMER
    server.client("s3", CUSTOMER).create_bucket(Bucket="customer-only")

    assert server.client("s3").list_buckets()["Buckets"] == []


def test_lambda_execution_credentials_skip_the_trust_policy(server: Aws) -> None:
    server.create_role(PLATFORM, "lambda-execution", trust(service="lambda.amazonaws.com"))

    credentials = lambda_execution_credentials(LAMBDA_ROLE)

    identity = server.client("sts", credentials=credentials).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{PLATFORM}:assumed-role/lambda-execution/local-lambda"


def test_a_busy_port_fails_fast_and_restores(emulator: EmulatorHandle) -> None:
    before = os.environ.get("MOTO_PORT")

    with pytest.raises(OSError):
        start_emulator(port=emulator.port)

    assert os.environ.get("MOTO_PORT") == before
