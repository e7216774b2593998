"""The one dependency layer: the pinned third-party packages of requirements.txt, built without Docker."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import LAYERS_DIR, REQUIREMENTS_FILE

# Lambda's manylinux platform tags per architecture (what pip must download wheels for).
_PIP_PLATFORMS = {
    lambda_.Architecture.ARM_64.name: "manylinux2014_aarch64",
    lambda_.Architecture.X86_64.name: "manylinux2014_x86_64",
}


def python_version(runtime: lambda_.Runtime) -> str:
    """`python3.14` -> `3.14`: the interpreter version pip must resolve wheels for."""
    return runtime.name.removeprefix("python")


@jsii.implements(cdk.ILocalBundling)
class PipInstallBundling:
    """Local bundling: `pip install --target` with the target platform's binary wheels only.

    Cross-platform wheel selection replaces the Docker build image, so synth needs neither Docker nor
    an aarch64 machine. Every version in requirements.txt is exact, so the result is reproducible.
    """

    def __init__(self, requirements: Path, platform: str, python: str) -> None:
        self._requirements = requirements
        self._platform = platform
        self._python = python

    def command(self, output_dir: str) -> list[str]:
        """The pip command line that fills `<output_dir>/python` (Lambda's layer path for Python)."""
        return [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--requirement",
            str(self._requirements),
            "--target",
            str(Path(output_dir) / "python"),
            "--implementation",
            "cp",
            "--python-version",
            self._python,
            "--only-binary=:all:",
            "--platform",
            self._platform,
            # The host interpreter would write .pyc files for its own version: useless at runtime.
            "--no-compile",
            "--disable-pip-version-check",
            "--quiet",
        ]

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **options: Any) -> bool:
        """Install the requirements into the asset directory; returning True skips Docker."""
        subprocess.run(self.command(output_dir), check=True)  # noqa: S603 - fixed arguments
        return True


def requirements_hash(requirements: Path, architecture: lambda_.Architecture, python: str) -> str:
    """The layer's asset hash: it changes when requirements.txt, the architecture or Python changes."""
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(f"|{architecture.name}|{python}".encode())
    return digest.hexdigest()


class DependencyLayer(Construct):
    """A LayerVersion holding every runtime dependency of the functions (never first-party code)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: lambda_.Runtime,
        architecture: lambda_.Architecture,
        requirements: Path = REQUIREMENTS_FILE,
    ) -> None:
        super().__init__(scope, construct_id)
        python = python_version(runtime)
        platform = _PIP_PLATFORMS[architecture.name]
        code = lambda_.Code.from_asset(
            # The asset source is layers/ (its README only); the content comes from bundling.
            str(LAYERS_DIR),
            asset_hash_type=cdk.AssetHashType.CUSTOM,
            asset_hash=requirements_hash(requirements, architecture, python),
            bundling=cdk.BundlingOptions(
                # Must be named, but is never pulled: local bundling always succeeds or raises.
                image=runtime.bundling_image,
                command=["false"],
                environment={"PIP_PLATFORM": platform, "PYTHON_VERSION": python},
                local=PipInstallBundling(requirements, platform, python),
            ),
        )
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=code,
            compatible_runtimes=[runtime],
            compatible_architectures=[architecture],
            description=f"Skylight third-party dependencies ({requirements.name}, {platform})",
        )
