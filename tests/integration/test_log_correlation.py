"""Every log line of a request names its tenant and request; every line of a crawl names the tenant,
the account and, from Begin on, the crawl; and nothing stays behind for the next invocation."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

import skylight.handlers.api.app  # noqa: F401 - makes the service's logger and its handler
from tests.integration.conftest import connect_body
from tests.integration.crawling import customer, run_crawl
from tests.support import CUSTOMER_ACCOUNT


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """What the functions' logger writes (to standard output, deployed), as it writes it."""
    (handler,) = [
        each for each in logging.getLogger("skylight").handlers if isinstance(each, logging.StreamHandler)
    ]
    written = io.StringIO()
    previous = handler.setStream(written)
    try:
        yield written
    finally:
        handler.setStream(previous)


def taken(logs: io.StringIO) -> str:
    text = logs.getvalue()
    logs.seek(0)
    logs.truncate()
    return text


def log_lines(output: str) -> list[dict[str, Any]]:
    lines = []
    for line in output.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and "level" in document and "_aws" not in document:
            lines.append(document)
    return lines


def test_every_line_of_a_crawl_names_the_tenant_the_account_and_the_crawl(
    api, connected, logs: io.StringIO
) -> None:
    account, _ = connected
    customer("ec2", "eu-west-1").run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)
    taken(logs)

    finished = run_crawl(account["id"])
    lines = log_lines(taken(logs))

    assert {"crawl begun", "segment crawled", "crawl finished"} <= {line["message"] for line in lines}
    for line in lines:
        assert (line.get("tenant_id"), line.get("account_id")) == ("tenant-a", account["id"]), line
        assert line.get("crawl_id") == finished["crawl_id"], line


def test_every_line_of_a_request_names_its_tenant_and_request_and_forgets_them_after(
    api, logs: io.StringIO
) -> None:
    status, _ = api("POST", "/v1/accounts", connect_body(f"arn:aws:iam::{CUSTOMER_ACCOUNT}:role/Missing"))
    assert status == 422
    refused = log_lines(taken(logs))
    # A request without a valid token comes next, in the same container: no tenant is named.
    status, _ = api("GET", "/v1/accounts", tenant=None)
    anonymous = log_lines(taken(logs))

    assert refused and all(
        line.get("tenant_id") == "tenant-a" and line.get("correlation_id") for line in refused
    )
    assert status == 401 and anonymous
    assert all("tenant_id" not in line for line in anonymous), anonymous
