"""`python -m local demo|serve`: the embedded local run."""

from __future__ import annotations

import argparse
import os
import socket
import time

from local.tokens import ISSUER


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("command", choices=["demo", "serve"])
    command = parser.parse_args().command
    from local.run import start

    started = time.monotonic()
    if command == "demo":
        run = start(api_port=_free_port(), emulator_port=_free_port())
        print(
            f"Local stack ready in {time.monotonic() - started:.1f} s (emulator {run.emulator.endpoint_url})."
        )
        from local.demo import run_demo

        try:
            run_demo(run)
        finally:
            run.stop()
        return
    api_port = int(os.environ.get("API_PORT", "8000"))
    emulator_port = int(os.environ.get("AWS_EMULATOR_PORT", "5000"))
    run = start(api_port=api_port, emulator_port=emulator_port)
    print(f"Skylight API      {run.api_url}   (tokens: make -s token TENANT=<id> ROLE=<admin|viewer>)")
    print(f"AWS emulator      {run.emulator.endpoint_url}   (customer accounts: header x-moto-account-id)")
    print(f"Token issuer      {ISSUER}")
    run.schedules.run_in_background()
    print("Crawl schedules   fired by this process when due (moto stores schedules but never runs them)")
    print("Ready. Ctrl-C stops.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        run.stop()


if __name__ == "__main__":
    main()
