"""Tenant audiences: made by Skylight, one shape, short enough for every cloud, never alike."""

from __future__ import annotations

from skylight.logic.federation import (
    AUDIENCE_MAX_LENGTH,
    AUDIENCE_PATTERN,
    AUDIENCE_PREFIX,
    new_federation_audience,
)


def test_an_audience_has_the_one_shape_the_platform_principal_may_mint_for() -> None:
    audience = new_federation_audience()

    assert audience.startswith(AUDIENCE_PREFIX)
    assert AUDIENCE_PATTERN.fullmatch(audience)
    assert len(audience) <= AUDIENCE_MAX_LENGTH
    assert audience.isascii() and audience == audience.lower()


def test_audiences_never_repeat() -> None:
    audiences = {new_federation_audience() for _ in range(2000)}

    assert len(audiences) == 2000


def test_the_pattern_refuses_what_is_not_exactly_an_audience() -> None:
    audience = new_federation_audience()

    for near_miss in (audience + "\n", audience.upper(), audience[:-1], audience + "a", "x" + audience):
        assert not AUDIENCE_PATTERN.fullmatch(near_miss)
