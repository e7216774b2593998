"""The vault benchmark runs and reports its figures as the last line (figures not judged: noisy machines)."""

import json
import subprocess
import sys

from infra.config import REPO_ROOT


def test_the_vault_benchmark_prints_its_figures():
    completed = subprocess.run(
        [sys.executable, "-m", "local.bench.vault", "--runs", "5"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    assert figures["runs"] == 5
    assert 0 < figures["seal_median_ms"] <= figures["seal_p95_ms"]
    assert 0 < figures["open_median_ms"] <= figures["open_p95_ms"]
