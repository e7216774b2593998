"""The vault benchmark runs and reports its figures as the last line (figures not judged: noisy machines)."""

import json

from tests.e2e.conftest import run_module


def test_the_vault_benchmark_prints_its_figures():
    completed = run_module("local.bench.vault", "--runs", "5", timeout=120)
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    assert figures["runs"] == 5
    assert 0 < figures["seal_median_ms"] <= figures["seal_p95_ms"]
    assert 0 < figures["open_median_ms"] <= figures["open_p95_ms"]
