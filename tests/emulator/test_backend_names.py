"""moto's service packages are listed once, with the same names moto finds on disk."""

from __future__ import annotations

import os

import moto
import pytest
from moto import backends

from local.emulator import install


def test_the_names_are_moto_service_packages_and_the_folder_is_not_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install()
    folder = os.path.dirname(moto.__file__)
    on_disk = sorted(
        name
        for name in os.listdir(folder)
        if os.path.isdir(os.path.join(folder, name)) and not name.startswith("__")
    )

    def no_disk(*_: object) -> list[str]:
        raise AssertionError("the folder was listed again")

    monkeypatch.setattr(os, "listdir", no_disk)
    assert list(backends.list_of_moto_modules()) == on_disk
    assert "dynamodb" in on_disk and "sts" in on_disk
