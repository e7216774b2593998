"""The names of moto's service packages, listed once instead of on every request.

To route a request, moto's server asks whether the host names one of its service packages, and
answers by listing its package folder and checking each entry on disk (about 180 system calls)
twice per request: a third of the emulator's CPU for a small answer, which a crawl's burst of
calls queued behind. The folder does not change while the emulator runs, so it is listed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from moto import backends

_PATCH_MARK = "_skylight_listed_once"


def install() -> None:
    original: Callable[[], Iterable[str]] = backends.list_of_moto_modules
    if getattr(original, _PATCH_MARK, False):
        return
    names: tuple[str, ...] = tuple(original())

    def list_of_moto_modules() -> Iterable[str]:
        return iter(names)

    setattr(list_of_moto_modules, _PATCH_MARK, True)
    backends.list_of_moto_modules = list_of_moto_modules
