"""End to end: the local run (emulator + synthesized stack + HTTP API), driven over HTTP."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from local.run import LocalRun, start


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def local_run() -> Iterator[LocalRun]:
    saved = dict(os.environ)
    run = start(api_port=_free_port(), emulator_port=_free_port())
    yield run
    run.stop()
    os.environ.clear()
    os.environ.update(saved)
