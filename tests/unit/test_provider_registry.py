"""Providers are found by convention and imported on first use: a request about one cloud never
loads another's package, and a provider that fails to load breaks only its own requests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import skylight.providers
from skylight.models.errors import RetryLater
from skylight.providers.base import ProviderUnavailable, forget_providers, get_provider, provider_names
from tests.support import modules_loaded_by


@contextmanager
def extra_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, files: dict[str, str]
) -> Iterator[None]:
    """A provider package `name` made of `files`, found beside the real ones while the block runs."""
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    for file, text in files.items():
        (package / file).write_text(text)
    monkeypatch.setattr(skylight.providers, "__path__", [*skylight.providers.__path__, str(tmp_path)])
    forget_providers()
    try:
        yield
    finally:
        monkeypatch.undo()
        forget_providers()
        sys.modules.pop(f"skylight.providers.{name}", None)


@pytest.fixture
def broken_provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A provider package whose library is missing, beside the real ones."""
    with extra_provider(
        tmp_path, monkeypatch, "broken", {"provider.py": "import a_cloud_sdk_that_is_not_installed\n"}
    ):
        yield


def test_a_broken_provider_fails_its_own_requests_only(broken_provider: None) -> None:
    assert {"aws", "broken"} <= provider_names()

    with pytest.raises(ProviderUnavailable) as error:
        get_provider("broken")

    assert isinstance(error.value, RetryLater)  # a 503 retry_later, never a stack trace
    assert (error.value.status, error.value.code) == (503, "retry_later")
    assert get_provider("aws").name == "aws"


def test_an_unknown_provider_is_not_looked_up_as_a_module() -> None:
    with pytest.raises(KeyError):
        get_provider("os")


def test_a_request_about_aws_loads_no_other_provider() -> None:
    modules = modules_loaded_by(
        "import skylight.handlers.api.app\n"
        "from skylight.providers.base import get_provider\n"
        "get_provider('aws')"
    )

    loaded = {name.split(".")[2] for name in modules if name.startswith("skylight.providers.")}
    assert loaded & provider_names() == {"aws"}  # the provider packages; base and steps are shared
    assert not [name for name in modules if name.split(".")[0] in ("google", "azure", "msal")]


def test_a_provider_whose_api_models_fail_to_load_is_left_out_of_the_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skylight.models.api import provider_api_models

    with extra_provider(
        tmp_path, monkeypatch, "halfbuilt", {"api_models.py": "raise RuntimeError('a bad release')\n"}
    ):
        modules = provider_api_models()

    assert "halfbuilt" not in modules
    assert modules["aws"].ONBOARDING_KIT_MODEL.__name__ == "AwsOnboardingKitOut"
