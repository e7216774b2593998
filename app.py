#!/usr/bin/env python3
"""CDK entry point: `cdk synth` / `cdk deploy` run this (see cdk.json)."""

import aws_cdk as cdk

from infra.stack import add_skylight

app = cdk.App()
add_skylight(app)
app.synth()
