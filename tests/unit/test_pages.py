"""What a page's fingerprint ignores, and the token-only page botocore parses in its place (EC2's
XML and Lambda's JSON)."""

from __future__ import annotations

import json
from typing import Any

import botocore.session

from skylight.gateways.response_parsers import PlannedEC2QueryParser
from skylight.gateways.sessions import shared_botocore_session
from skylight.models.inventory import RecordedListing
from skylight.providers.aws.pages import page_fingerprint, page_parts, token_only

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


def _list_functions() -> Any:
    return shared_botocore_session().get_service_model("lambda").operation_model("ListFunctions")


def _functions_page(marker: str | None, *names: str, variables: dict[str, str] | None = None) -> bytes:
    functions = [
        {"FunctionName": name, "FunctionArn": f"arn:aws:lambda:us-east-1:111111111111:function:{name}"}
        | ({"Environment": {"Variables": variables}} if variables else {})
        for name in names
    ]
    return json.dumps({"Functions": functions, **({"NextMarker": marker} if marker else {})}).encode()


def _parsed(body: bytes) -> dict[str, Any]:
    parser = shared_botocore_session().get_component("response_parser_factory").create_parser("rest-json")
    response = {"body": body, "headers": {}, "status_code": 200}
    parsed: dict[str, Any] = parser.parse(response, _list_functions().output_shape)
    parsed.pop("ResponseMetadata", None)
    return parsed


def test_a_json_page_is_fingerprinted_without_its_marker_and_stands_in_with_only_it() -> None:
    list_functions = _list_functions()
    page = _functions_page("bWFya2VyLTE=", "billing", "orders")
    parts = page_parts(list_functions, page)
    fingerprint, stand_in = parts.fingerprint, parts.token_only

    assert (
        fingerprint
        == page_parts(list_functions, _functions_page("b3RoZXI=", "billing", "orders")).fingerprint
    )
    assert fingerprint != page_parts(list_functions, _functions_page("bWFya2VyLTE=", "billing")).fingerprint
    assert parts.holds_items and not page_parts(list_functions, _functions_page(None)).holds_items
    assert stand_in is not None and len(stand_in) < 50
    assert _parsed(stand_in) == {"NextMarker": "bWFya2VyLTE="}
    assert _parsed(page)["NextMarker"] == "bWFya2VyLTE=" and len(_parsed(page)["Functions"]) == 2


def test_only_the_top_level_marker_is_a_page_token() -> None:
    list_functions = _list_functions()
    # A function may well have an environment variable called NextMarker: it is content, not a token.
    last = _functions_page(None, "billing", variables={"NextMarker": "not-a-token"})
    changed = _functions_page(None, "billing", variables={"NextMarker": "another"})
    parts = page_parts(list_functions, last)

    assert parts.token_only is not None and _parsed(parts.token_only) == {}
    assert parts.fingerprint != page_parts(list_functions, changed).fingerprint


def test_a_json_answer_that_is_not_an_object_is_parsed_as_it_is() -> None:
    list_functions = _list_functions()
    for body in (b"not json", b"[1, 2]"):
        parts = page_parts(list_functions, body)
        assert parts.token_only is None and parts.holds_items
        assert parts.fingerprint != page_parts(list_functions, b"other").fingerprint
