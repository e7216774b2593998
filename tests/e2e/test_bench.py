"""`make bench` works: the small version runs end to end and prints its figures as the last line.

A smoke test, not a timed one: it checks the shape and the sanity of the figures, never a target.
"""

from __future__ import annotations

import json

import pytest

from local.bench import JSON_KEYS
from tests.e2e.conftest import run_module


@pytest.fixture(scope="module")
def small_run() -> tuple[list[str], dict]:
    # A fresh interpreter: the benchmark sets process-wide configuration and starts crawl processes.
    lines = run_module("local.bench", "--small", timeout=300).stdout.strip().splitlines()
    return lines, json.loads(lines[-1])


def test_the_last_line_is_json_with_every_figure(small_run):
    _, figures = small_run
    assert set(JSON_KEYS) <= figures.keys()
    # The small version skips the one-call-at-a-time baseline (it would double CI's time).
    assert figures["baseline_wall_s"] is None
    assert figures["speedup"] is None
    for key in set(JSON_KEYS) - {"baseline_wall_s", "speedup"}:
        assert isinstance(figures[key], int | float), key


def test_the_crawl_lists_exactly_what_the_account_holds(small_run):
    _, figures = small_run
    assert figures["resources"] == figures["expected_resources"]
    assert 150 <= figures["resources"] <= 400


def test_writes_only_what_changed(small_run):
    _, figures = small_run
    assert figures["writes_first"] >= figures["resources"]  # one write unit per item at least
    assert figures["writes_unchanged"] == 0
    assert figures["changed_resources"] <= figures["writes_1pct_changed"] < figures["writes_first"] / 4


def test_the_figures_are_sane(small_run):
    _, figures = small_run
    assert figures["api_calls"] > figures["regions"] > 3
    assert 0 < figures["lower_bound_s"] < figures["wall_s"]
    assert figures["ratio"] == pytest.approx(figures["wall_s"] / figures["lower_bound_s"], rel=0.02)
    assert 0 < figures["peak_rss_mb"] < 4096
    assert 0 < figures["max_import_ms"] < 60_000


def test_a_readable_table_comes_first(small_run):
    lines, _ = small_run
    table = "\n".join(lines[:-1])
    assert "aws.ec2.snapshot" in table
    assert "lower bound:" in table
    assert "unchanged re-crawl" in table
