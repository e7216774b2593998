"""Clients share their service model and class; credentials, region and handlers stay their own."""

from __future__ import annotations

import boto3
import botocore.session

from skylight.gateways.sessions import session_with_shared_models, shared_client, shared_session


def _client(region: str, key: str) -> object:
    return shared_client(
        "ec2",
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key="secret",
        aws_session_token="t",
    )


def test_clients_of_one_session_share_model_and_class_but_not_identity() -> None:
    first, second = _client("us-east-1", "AKIAFIRST"), _client("eu-west-1", "AKIASECOND")

    assert first.meta.service_model is second.meta.service_model  # type: ignore[attr-defined]
    assert type(first) is type(second)
    assert first.meta.region_name == "us-east-1" and second.meta.region_name == "eu-west-1"  # type: ignore[attr-defined]
    assert first._request_signer._credentials.access_key == "AKIAFIRST"  # type: ignore[attr-defined]
    assert second._request_signer._credentials.access_key == "AKIASECOND"  # type: ignore[attr-defined]
    # Each has its own handlers (the crawler's budget hooks are per client).
    assert first.meta.events is not second.meta.events  # type: ignore[attr-defined]


def test_sessions_sharing_the_data_loader_share_models_and_others_do_not() -> None:
    shared = shared_session().client("sts", region_name="us-east-1")
    own = boto3.Session(botocore_session=session_with_shared_models()).client("sts", region_name="us-east-1")
    separate = botocore.session.get_session().create_client("sts", region_name="us-east-1")

    assert own.meta.service_model is shared.meta.service_model
    assert separate.meta.service_model is not shared.meta.service_model
    assert separate.meta.service_model.service_name == "sts"
