"""End to end: the local run (emulator + synthesized stack + HTTP API), driven over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from infra.config import REPO_ROOT
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


def run_module(*arguments: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """`python -m <arguments>` in a fresh interpreter from the repository's root, as `make` starts
    it: without the test session's AWS and Powertools settings, which it sets up itself."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    completed = subprocess.run(  # noqa: S603 - our own interpreter and modules
        [sys.executable, "-m", *arguments],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return completed
