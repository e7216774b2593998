"""`make demo` works: the README's first command walks every scene over the local HTTP API to the end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENES = 12


def test_the_demo_walks_every_scene_to_the_end():
    # A fresh interpreter with a clean environment, as `make demo` starts it.
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    completed = subprocess.run(
        [sys.executable, "-m", "local", "demo"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    output = completed.stdout
    scenes = {int(number) for number in re.findall(r"▶ (\d+)\w?\. ", output)}
    assert scenes == set(range(1, SCENES + 1))
    assert "Demo finished" in output
    assert "Traceback" not in output + completed.stderr
