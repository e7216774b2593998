"""`make bench`: crawl a large synthetic account in the emulator with a fixed latency per AWS call.

    python -m local.bench [--resources 10000] [--latency-ms 50] [--small]

The emulator (moto's server, in this process) holds the synthetic customer account (see `account`).
Crawls run as deployed (see `workers`): Begin+Plan, one warm worker process per batch of regions, Finish.
Runs, in order: a first crawl on an empty table, an unchanged re-crawl five times (`wall_s`,
`api_calls` and the lower bound come from the fastest), the same re-crawl one call at a time (the
baseline), then a crawl after about 1% of the resources changed. It prints tables and, as its last
line, one JSON object (see docs/benchmark.md).

The fixed latency stands for all AWS does to answer a call. moto's own rendering of an answer runs
on this machine's cores (about 4 s of CPU for one page of 900 instances), so answers to read-only
calls into the customer account are replayed while nothing there changes (`local.emulator.replay`):
the first crawl renders them, later ones get the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from local.bench import CUSTOMER_ACCOUNT, HANDLER_MODULES, TENANT, environment, use_environment
from local.bench.account import MAIN_REGIONS, CustomerAccount, Options, Platform, region_mixes
from local.bench.report import Runs, import_ms, report
from local.bench.workers import AS_DEPLOYED, ONE_CALL_AT_A_TIME, CrawlMode, CrawlWorkers

RECRAWLS = 5


def _cpu_s() -> float:
    return time.process_time()


def run_all(options: Options, imports: bool = True) -> Runs:
    from moto.iam.models import get_account_id_from

    from local.emulator.regions import DEFAULT_ENABLED
    from local.emulator.replay import ReplayCache
    from local.emulator.server import start_emulator

    use_environment(environment())
    started = time.perf_counter()
    replay = ReplayCache([CUSTOMER_ACCOUNT], account_of=get_account_id_from)
    with start_emulator(port=0, middleware=replay.wrap) as emulator:
        use_environment(environment(emulator.endpoint_url))
        platform = Platform(emulator)
        platform.create()
        # From here on, this process and the workers act as the functions' role.
        functions = {**environment(emulator.endpoint_url), **platform.functions_environment()}
        use_environment(functions)
        account_id = platform.connect(CUSTOMER_ACCOUNT)
        customer = CustomerAccount(emulator, CUSTOMER_ACCOUNT)
        mixes = region_mixes(options)
        customer.populate(mixes)
        expected = customer.expected(DEFAULT_ENABLED)
        replay.clear()  # the set-up changed moto's state directly
        # One worker per region of the account, plus the global types: a first crawl runs each alone
        # (the small run shares a few).
        size = 6 if options.small else len(DEFAULT_ENABLED) + 1
        with CrawlWorkers(size, functions, options.latency_ms) as workers:
            workers.warm()
            setup_s = time.perf_counter() - started

            def crawl(mode: CrawlMode = AS_DEPLOYED) -> dict[str, Any]:
                emulator_cpu = _cpu_s()
                run = workers.crawl(TENANT, account_id, mode)
                run["emulator_cpu_s"] = _cpu_s() - emulator_cpu
                return run

            first = crawl()
            # The unchanged re-crawl, the headline, is repeated and its fastest run reported (this
            # machine's cores are shared); the figures of every repeat are printed too.
            recrawls = [crawl() for _ in range(1 if options.small else RECRAWLS)]
            unchanged = min(recrawls, key=lambda run: run["wall_s"])
            baseline = None if options.small else crawl(ONE_CALL_AT_A_TIME)
            changed_resources = customer.change(0.01, MAIN_REGIONS)
            replay.clear()
            changed = crawl()
    runs = Runs(first, unchanged, baseline, changed, changed_resources, expected, setup_s, recrawls)
    if imports:
        runs.imports = {module: import_ms(module) for module in HANDLER_MODULES}
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=None, help="about how many resources (10000)")
    parser.add_argument("--latency-ms", type=float, default=None, help="per AWS call, client side (50)")
    parser.add_argument(
        "--small", action="store_true", help="~200 resources, 3 regions, 5 ms, no baseline (CI)"
    )
    args = parser.parse_args(argv)
    options = Options(
        resources=args.resources or (200 if args.small else 10_000),
        latency_ms=args.latency_ms if args.latency_ms is not None else (5 if args.small else 50),
        small=args.small,
    )
    result = report(run_all(options), options)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
