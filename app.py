#!/usr/bin/env python3
"""CDK entry point: `cdk synth` / `cdk deploy` run this (see cdk.json)."""

import sys
from pathlib import Path

import aws_cdk as cdk

# The alarms and the dashboard are built from the metric catalogue the functions publish by.
sys.path.insert(0, str(Path(__file__).resolve().parent / "functions"))

from infra.stack import add_skylight

app = cdk.App()
add_skylight(app)
app.synth()
