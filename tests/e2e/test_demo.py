"""`make demo` works: the README's first command walks every scene over the local HTTP API to the end."""

from __future__ import annotations

import re

from tests.e2e.conftest import run_module

SCENES = 12


def test_the_demo_walks_every_scene_to_the_end():
    completed = run_module("local", "demo", timeout=600)
    output = completed.stdout
    scenes = {int(number) for number in re.findall(r"▶ (\d+)\w?\. ", output)}
    assert scenes == set(range(1, SCENES + 1))
    assert "Demo finished" in output
    assert "Traceback" not in output + completed.stderr
