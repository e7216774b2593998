"""What a page's fingerprint ignores, and the token-only page botocore parses in its place."""

from __future__ import annotations

import botocore.session

from skylight.gateways.response_parsers import PlannedEC2QueryParser
from skylight.models.inventory import RecordedListing
from skylight.providers.aws.pages import page_fingerprint, token_only

HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeVolumesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
VOLUMES = b"<volumeSet><item><volumeId>vol-1</volumeId><size>8</size></item></volumeSet>"


def _page(request_id: bytes, token: bytes | None, volumes: bytes = VOLUMES) -> bytes:
    token_part = b"<nextToken>" + token + b"</nextToken>" if token is not None else b""
    return (
        HEAD
        + b"<requestId>"
        + request_id
        + b"</requestId>"
        + volumes
        + token_part
        + b"</DescribeVolumesResponse>"
    )


def test_request_ids_and_page_tokens_do_not_change_a_fingerprint() -> None:
    assert page_fingerprint(_page(b"a-1", b"tok-1")) == page_fingerprint(_page(b"b-2", b"tok-9"))
    assert page_fingerprint(_page(b"a-1", None)) == page_fingerprint(_page(b"b-2", None))


def test_any_other_byte_does() -> None:
    changed = VOLUMES.replace(b"<size>8</size>", b"<size>9</size>")
    assert page_fingerprint(_page(b"a", b"t")) != page_fingerprint(_page(b"a", b"t", changed))


def test_the_token_only_page_parses_to_the_same_token_and_nothing_else() -> None:
    shape = (
        botocore.session.get_session()
        .get_service_model("ec2")
        .operation_model("DescribeVolumes")
        .output_shape
    )
    parser = PlannedEC2QueryParser()
    page = _page(b"r", b"next-please")
    skeleton = token_only(page)
    assert skeleton is not None and len(skeleton) < 200
    full = parser.parse({"body": page, "headers": {}, "status_code": 200}, shape)
    light = parser.parse({"body": skeleton, "headers": {}, "status_code": 200}, shape)
    assert full["NextToken"] == light["NextToken"] == "next-please"
    assert len(full["Volumes"]) == 1 and "Volumes" not in light


def test_the_last_page_keeps_no_token_and_an_unclear_page_is_left_alone() -> None:
    assert token_only(_page(b"r", None)) == HEAD + b"</DescribeVolumesResponse>"
    twice = _page(b"r", b"one").replace(b"</volumeSet>", b"</volumeSet><nextToken>two</nextToken>")
    assert token_only(twice) is None
    assert token_only(b"not xml at all") is None


def test_a_recorded_listing_reads_back_as_written() -> None:
    with_pages = RecordedListing(digest="12:abc", pages="f00")
    assert RecordedListing.decode(with_pages.encode()) == with_pages
    assert RecordedListing.decode("3:def") == RecordedListing(digest="3:def")
    assert with_pages.count == 12
