"""AWS timestamps parse to the same instants as botocore's own parser gives, only faster."""

from __future__ import annotations

import botocore.utils
import pytest

from skylight.gateways.sessions import parse_timestamp, shared_botocore_session


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-29T16:00:00.000Z",  # EC2, RDS, Auto Scaling (XML)
        "2026-11-29T16:00:00Z",
        "2026-11-29T16:00:00.123456+00:00",
        "2026-11-29T16:00:00.000+0000",  # Lambda's LastModified
        "2026-11-29T18:30:00+02:30",
        1795968000,  # epoch seconds (JSON protocols)
        1795968000.25,
        "Sun, 29 Nov 2026 16:00:00 GMT",  # RFC 822 (S3 headers)
    ],
)
def test_the_same_instant_as_botocore(value: object) -> None:
    ours, theirs = parse_timestamp(value), botocore.utils.parse_timestamp(value)
    assert ours == theirs
    assert ours.utcoffset() == theirs.utcoffset()


def test_the_shared_session_parses_with_it() -> None:
    factory = shared_botocore_session().get_component("response_parser_factory")
    parser = factory.create_parser("ec2")
    assert parser._timestamp_parser is parse_timestamp
