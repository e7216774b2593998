"""The crawl benchmark's figures: the lower bound, the targets, the tables and the JSON last line."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from local.bench import FUNCTIONS_DIR, LAMBDA_ENVIRONMENT, ROOT
from local.bench.account import Options

CORES = os.cpu_count() or 1


@dataclass
class LowerBound:
    plan_calls: int
    region_setup_calls: int
    longest_pages: int
    longest: str
    latency_s: float

    @property
    def seconds(self) -> float:
        return (self.plan_calls + self.region_setup_calls + self.longest_pages) * self.latency_s

    def describe(self) -> str:
        chain = self.plan_calls + self.region_setup_calls + self.longest_pages
        return (
            f"plan {self.plan_calls} calls + region set-up {self.region_setup_calls} + longest chain "
            f"{self.longest_pages} pages ({self.longest}) = {chain} x {self.latency_s * 1000:g} ms "
            f"= {self.seconds:.2f} s"
        )


def lower_bound(run: dict[str, Any], latency_s: float) -> LowerBound:
    """The longest chain of calls that must run one after another, from the crawl's own page counts."""
    longest, pages = "-", 0
    for region, outcomes in outcomes_by_region(run).items():
        for name, outcome in outcomes.items():
            if outcome["pages"] > pages:
                longest, pages = f"{region} {name}", outcome["pages"]
    # Each region assumes the customer role once before it lists anything.
    return LowerBound(run["plan_calls"], 1, pages, longest, latency_s)


def outcomes_by_region(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What each (region, type) listing gave in a crawl, as recorded."""
    return {region: progress["outcomes"] for region, progress in run["crawl"]["segments"].items()}


def import_ms(module: str, attempts: int = 3) -> float:
    """The best of `attempts` imports of `module` in a fresh interpreter, with a function's environment."""
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "PYTHON"))}
    with tempfile.TemporaryDirectory(prefix="skylight-bytecode-") as bytecode:
        environment = {
            **keep,
            **LAMBDA_ENVIRONMENT,
            "PYTHONPATH": str(FUNCTIONS_DIR),
            # Compiled once, by an unmeasured first import (an interpreter caches its bytecode next
            # to the sources; here in a private cache, even where PYTHONDONTWRITEBYTECODE is set).
            "PYTHONPYCACHEPREFIX": bytecode,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        return _best_import_ms(code, environment, attempts)


def _best_import_ms(code: str, environment: dict[str, str], attempts: int) -> float:
    timings = []
    for attempt in range(attempts + 1):
        completed = subprocess.run(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        if attempt:
            timings.append(float(completed.stdout.strip().splitlines()[-1]))
    return min(timings)


@dataclass
class Runs:
    first: dict[str, Any]
    unchanged: dict[str, Any]
    baseline: dict[str, Any] | None
    changed: dict[str, Any]
    changed_resources: int
    expected: Counter[str]
    setup_s: float
    recrawls: list[dict[str, Any]] = field(default_factory=list)
    imports: dict[str, float] = field(default_factory=dict)

    @property
    def unchanged_runs(self) -> list[dict[str, Any]]:
        """Every unchanged re-crawl (`unchanged` is the fastest of them)."""
        return self.recrawls or [self.unchanged]


def figures(runs: Runs, options: Options) -> dict[str, Any]:
    steady = runs.unchanged
    bound = lower_bound(steady, options.latency_s)
    wall = steady["wall_s"]
    baseline = runs.baseline["wall_s"] if runs.baseline else None
    measured = [runs.first, runs.unchanged, runs.changed, *([runs.baseline] if runs.baseline else [])]
    crawl = steady["crawl"]
    return {
        "resources": crawl["resources"],
        "api_calls": steady["http_calls"],
        "wall_s": round(wall, 3),
        "lower_bound_s": round(bound.seconds, 3),
        "ratio": round(wall / bound.seconds, 2) if bound.seconds else None,
        "baseline_wall_s": round(baseline, 3) if baseline is not None else None,
        "speedup": round(baseline / wall, 1) if baseline is not None else None,
        "writes_first": runs.first["crawl"]["writes"]["write_units"],
        "writes_unchanged": max(run["crawl"]["writes"]["write_units"] for run in runs.unchanged_runs),
        "writes_1pct_changed": runs.changed["crawl"]["writes"]["write_units"],
        "peak_rss_mb": round(max(run["peak_rss_mb"] for run in measured), 1),
        "max_import_ms": round(max(runs.imports.values()), 1) if runs.imports else None,
        "expected_resources": sum(runs.expected.values()),
        "changed_resources": runs.changed_resources,
        "wall_first_s": round(runs.first["wall_s"], 3),
        "unchanged_walls_s": [round(run["wall_s"], 3) for run in runs.unchanged_runs],
        "latency_ms": options.latency_ms,
        "regions": len(crawl["segments"]),
        "cpu_s": round(steady["cpu_s"], 2),
        "emulator_cpu_s": round(steady["emulator_cpu_s"], 2),
        # The wall time the crawl's CPU alone needs on this machine's cores, perfectly packed: when it
        # is above the latency bound, the machine, not the waiting on AWS, sets the pace.
        "cpu_floor_s": round((steady["cpu_s"] + steady["emulator_cpu_s"]) / CORES, 3),
        "cores": CORES,
        "longest_chain": bound.longest,
        "small": options.small,
    }


def _row(cells: Iterable[Any], widths: Iterable[int]) -> str:
    return "  ".join(
        str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
    )


def type_table(run: dict[str, Any], expected: Counter[str]) -> Iterator[str]:
    totals: dict[str, list[int]] = {}
    for outcomes in outcomes_by_region(run).values():
        for name, outcome in outcomes.items():
            row = totals.setdefault(name, [0, 0, 0, 0, 0])
            row[0] += outcome["count"]
            row[1] += outcome["count"] > 0
            row[2] = max(row[2], outcome["pages"])
            row[3] += outcome["api_calls"]
            row[4] += outcome["throttles"]
    widths = (26, 9, 9, 8, 10, 6, 9)
    yield _row(("type", "expected", "listed", "regions", "max pages", "calls", "throttles"), widths)
    for name, (count, regions, pages, calls, throttles) in sorted(totals.items()):
        yield _row((name, expected.get(name, 0), count, regions, pages, calls, throttles), widths)
    yield _row(("total", sum(expected.values()), sum(r[0] for r in totals.values()), "", "", "", ""), widths)


def phase_table(runs: Runs) -> Iterator[str]:
    widths = (26, 7, 6, 8, 7, 6, 6, 7, 6, 8, 7, 7)
    yield _row(
        (
            "crawl",
            "wall s",
            "plan",
            "regions",
            "finish",
            "calls",
            "WU",
            "puts",
            "dels",
            "CPU s",
            "emu s",
            "rss MB",
        ),
        widths,
    )
    named = [("first (empty table)", runs.first), ("unchanged re-crawl", runs.unchanged)]
    if runs.baseline:
        named.append(("baseline (1 call at a time)", runs.baseline))
    named.append((f"after {runs.changed_resources} changes", runs.changed))
    for name, run in named:
        phases, writes = run["phases"], run["crawl"]["writes"]
        yield _row(
            (
                name[:26],
                f"{run['wall_s']:.2f}",
                f"{phases['plan']:.2f}",
                f"{phases['regions']:.2f}",
                f"{phases['finish']:.2f}",
                run["http_calls"],
                writes["write_units"],
                writes["puts"],
                writes["deletes"],
                f"{run['cpu_s']:.2f}",
                f"{run['emulator_cpu_s']:.2f}",
                f"{run['peak_rss_mb']:.0f}",
            ),
            widths,
        )


TARGETS: tuple[tuple[str, str, Callable[[Any, dict[str, Any]], bool]], ...] = (
    ("ratio", "<= 1.5", lambda v, _: v is not None and v <= 1.5),
    ("speedup", ">= 10", lambda v, _: v is not None and v >= 10),
    ("writes_unchanged", "= 0", lambda v, _: v == 0),
    (
        "writes_1pct_changed",
        "~ 1% of writes_first",
        # Small accounts change at least one resource of each kind: then, no more than what changed.
        lambda v, f: v <= max(0.02 * f["writes_first"], 1.2 * f["changed_resources"]),
    ),
    ("peak_rss_mb", "<= 512", lambda v, _: v <= 512),
    ("max_import_ms", "<= 300", lambda v, _: v is not None and v <= 300),
)


def report(runs: Runs, options: Options) -> dict[str, Any]:
    result = figures(runs, options)
    steady = runs.unchanged
    print(
        f"\nSkylight crawl benchmark: {result['resources']:,} resources, {result['regions']} segments "
        f"(regions + global), {options.latency_ms:g} ms per AWS call; set-up {runs.setup_s:.1f} s\n"
    )
    for line in type_table(steady, runs.expected):
        print(line)
    print()
    for line in phase_table(runs):
        print(line)
    slowest = max(steady["batch_wall_s"].items(), key=lambda item: item[1])
    walls = [run["wall_s"] for run in runs.unchanged_runs]
    listed = ", ".join(f"{wall:.2f}" for wall in walls)
    print(
        f"\nunchanged re-crawls: {listed} s (the fastest is the one reported; "
        f"median {statistics.median(walls):.2f} s)"
    )
    batch_cpu = steady["batch_cpu_s"]
    others = sum(batch_cpu.values()) - batch_cpu[slowest[0]]
    print(
        f"regions in {steady['batches']} invocations (small ones batched); the slowest: {slowest[0]} "
        f"{slowest[1]:.2f} s (its CPU {batch_cpu[slowest[0]]:.2f} s; the others' {others:.2f} s)"
    )
    print("lower bound: " + lower_bound(steady, options.latency_s).describe())
    print(
        f"CPU of the re-crawl: {steady['cpu_s']:.2f} s in the crawl's processes + "
        f"{steady['emulator_cpu_s']:.2f} s in the emulator, on {CORES} cores: "
        f"at least {result['cpu_floor_s']:.2f} s of wall time whatever the latency"
    )
    for module, milliseconds in runs.imports.items():
        print(f"import {module}: {milliseconds:.0f} ms (best of 3, fresh interpreter)")
    print()
    for key, target, met in TARGETS:
        value = result[key]
        verdict = "n/a" if value is None else ("met" if met(value, result) else "MISSED")
        print(f"{key:<22}{value!s:>10}   target {target:<22}{verdict}")
    return result
