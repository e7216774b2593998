"""Skylight infrastructure (AWS CDK v2): one stack composed of one construct per concern."""
