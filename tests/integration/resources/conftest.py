"""The resource tests run against the emulated AWS boundary (moto, in-process), one fresh world each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from tests.integration.resources.builders import client


@pytest.fixture(autouse=True)
def emulated() -> Iterator[None]:
    with mock_aws():
        yield
    client.cache_clear()
