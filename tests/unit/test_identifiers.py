"""Identifiers are validated exactly: the whole string, ASCII only.

A trailing newline, Unicode digits or full-width characters are refused everywhere (a 401 for the
tenant claim, a 400 elsewhere), never accepted as something else. A display name is not an
identifier: any script, but no control or format characters and no blank at either end.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated

import pytest
from pydantic import Field, TypeAdapter, ValidationError

from local.http_api import authorizer_claims
from skylight.config import get_settings
from skylight.dal.cursors import CURSOR_PATTERN
from skylight.handlers.api.auth import caller_from_claims
from skylight.handlers.api.routes.common import ACCOUNT_ID_PATTERN, CRAWL_ID_PATTERN
from skylight.handlers.api.routes.inventory import REGION_PATTERN, TYPE_PATTERN
from skylight.logic.crawls import new_crawl_id
from skylight.models import api
from skylight.models.errors import InvalidRequest, Unauthorized
from skylight.providers.aws.access_keys import parse_access_key
from skylight.providers.aws.identifiers import ACCESS_KEY_ID_PATTERN, ROLE_ARN_PATTERN

ARABIC_INDIC = "\u0661\u0662\u0663"  # ١٢٣
FULL_WIDTH = "\uff21\uff22\uff23"  # full-width A, B, C


def variants(valid: str) -> list[str]:
    """Values a loose check would take for `valid`: the same with a newline, a CR/LF or a blank
    after it, a Unicode digit or a full-width letter in it."""
    return [
        valid + "\n",
        valid + "\r\n",
        " " + valid,
        valid + " ",
        valid[:-3] + ARABIC_INDIC,
        valid[:-3] + FULL_WIDTH,
    ]


def caller_of(tenant):
    """The caller of a verified token naming `tenant`, as API Gateway passes its claims on."""
    payload = {"tenant_id": tenant, "sub": "u1", "roles": ["admin"]}
    return caller_from_claims(authorizer_claims(payload), payload, get_settings())


@pytest.mark.parametrize("tenant", ["acme", "org:acme@eu-1", "a" * 128])
def test_a_well_formed_tenant_claim_is_the_callers_tenant(tenant):
    assert caller_of(tenant).tenant_id == tenant


@pytest.mark.parametrize("tenant", [*variants("acme-123"), "", "a" * 129, "acme/../x"])
def test_a_tenant_claim_that_is_not_exactly_a_tenant_id_is_a_401(tenant):
    with pytest.raises(Unauthorized):
        caller_of(tenant)


KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_a_well_formed_access_key_is_accepted():
    assert parse_access_key({"access_key_id": KEY_ID, "secret_access_key": SECRET}).access_key_id == KEY_ID


@pytest.mark.parametrize("key_id", variants(KEY_ID))
def test_an_access_key_id_that_is_not_exactly_one_is_a_400(key_id):
    with pytest.raises(InvalidRequest) as raised:
        parse_access_key({"access_key_id": key_id, "secret_access_key": SECRET})
    assert [f["field"] for f in raised.value.details["fields"]] == ["credentials.access_key_id"]


@pytest.mark.parametrize("secret", variants(SECRET))
def test_a_secret_that_is_not_exactly_one_is_a_400_without_repeating_it(secret):
    with pytest.raises(InvalidRequest) as raised:
        parse_access_key({"access_key_id": KEY_ID, "secret_access_key": secret})
    assert [f["field"] for f in raised.value.details["fields"]] == ["credentials.secret_access_key"]
    assert SECRET[:-3] not in str(raised.value.details)


@pytest.mark.parametrize(
    ("pattern", "valid"),
    [
        (ACCOUNT_ID_PATTERN, "0f8fad5b-d9cb-469f-a165-70867728950e"),
        (CRAWL_ID_PATTERN, "20261201T101530123456Z-0a1b2c"),
        (CURSOR_PATTERN, "v1.QUNDT1VOVCMx.AAAAAAAAAAAAAAAAAAAAAA"),
        (TYPE_PATTERN, "aws.ec2.instance"),
        (REGION_PATTERN, "eu-west-1"),
        (ACCESS_KEY_ID_PATTERN, KEY_ID),
        (ROLE_ARN_PATTERN, "arn:aws:iam::111122223333:role/team/Skylight"),
    ],
)
def test_every_documented_pattern_takes_the_value_and_none_of_its_variants(pattern, valid):
    # As pydantic reads them (Rust's regex: `\\d` is Unicode there) and as Python's `re.fullmatch` does.
    constrained = TypeAdapter(Annotated[str, Field(pattern=pattern)])
    assert constrained.validate_python(valid) == valid
    assert re.fullmatch(pattern, valid)
    for variant in variants(valid):
        with pytest.raises(ValidationError):
            constrained.validate_python(variant)
        assert not re.fullmatch(pattern, variant), repr(variant)


def test_crawl_ids_have_the_documented_shape():
    assert re.fullmatch(CRAWL_ID_PATTERN, new_crawl_id(datetime(2026, 12, 1, 10, 15, 30, 123456, UTC)))


NAME = TypeAdapter(api.AccountName)


@pytest.mark.parametrize(
    "name",
    [
        "Production",
        "Prod EU 1",
        "生产环境",
        "\uff30\uff32\uff2f\uff24",  # full-width PROD
        "حساب ١٢٣",
        "Café — staging",
        "a",
        "x" * 64,
        "a\u00a0b",
    ],
)
def test_a_display_name_may_be_of_any_script(name):
    assert NAME.validate_python(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "x" * 65,
        " Production",
        "Production ",
        "Production\n",
        "Prod\tEU",
        "Prod\x00",
        "Prod\x85EU",  # C1 next line
        "Pro\u200bd",  # zero-width space
        "Prod\u202eUE",  # right-to-left override
        "\ufeffProd",  # byte order mark
        "Prod\u2028EU",  # line separator
        "\u3000Prod",  # ideographic space at the start
    ],
)
def test_a_display_name_with_control_or_format_characters_or_blank_ends_is_refused(name):
    with pytest.raises(ValidationError):
        NAME.validate_python(name)


def _code_points(ranges: str) -> set[int]:
    points: set[int] = set()
    for first, last in re.findall(r"\\u([0-9a-f]{4})(?:-\\u([0-9a-f]{4}))?", ranges):
        points.update(range(int(first, 16), int(last or first, 16) + 1))
    return points


def _bmp(*categories: str) -> set[int]:
    return {c for c in range(0x10000) if unicodedata.category(chr(c)) in categories}


@pytest.mark.parametrize(
    ("ranges", "categories"),
    [
        (api.NAME_CONTROLS, ("Cc",)),
        (api.NAME_FORMAT, ("Cf",)),
        (api.NAME_LINE_BREAKS, ("Zl", "Zp")),
        (api.NAME_BLANKS, ("Zs", "Zl", "Zp")),
    ],
)
def test_the_names_character_ranges_are_unicodes_categories(ranges, categories):
    expected = _bmp(*categories)
    if ranges is api.NAME_BLANKS:
        expected -= _bmp("Zl", "Zp")  # listed as line breaks already
    assert _code_points(ranges) == expected
