"""Pagination cursors are signed: only a cursor this API issued for exactly this tenant, listing, account
and filters is accepted. Anything else (hand-made, altered, another tenant's, another account's, other
filters) is a 400 `invalid_request` on the `cursor` field, never a page of someone else's data."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from skylight.dal.cursors import CursorKeyError, CursorSigner, Listing
from skylight.gateways.cursor_keys import LABEL, MAC_ALGORITHM, KmsCursorKey
from skylight.gateways.sessions import shared_botocore_session
from skylight.handlers import dependencies
from skylight.handlers.workflow import tasks
from skylight.models.errors import InvalidRequest
from skylight.models.inventory import Resource
from tests.integration.conftest import CURSOR_KEY_ALIAS, SESSION, VAULT_KEY_ALIAS, reset_caches
from tests.support import LambdaContext

BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


class StaticKey:
    """A key source that hands out a fixed key and counts how often it was asked."""

    def __init__(self, key: bytes = b"k" * 32) -> None:
        self.key = key
        self.calls = 0

    def signing_key(self) -> bytes:
        self.calls += 1
        return self.key


def assert_refused(response: tuple[int, Any]) -> None:
    status, body = response
    assert status == 400, body
    assert body["error"]["code"] == "invalid_request"
    assert [field["field"] for field in body["error"]["fields"]] == ["cursor"]


def unpadded(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def every_page(api, path: str, limit: int = 2, **query: str) -> list[Any]:
    items, cursor = [], None
    while True:
        status, page = api(
            "GET", path, query={**query, "limit": str(limit), **({"cursor": cursor} if cursor else {})}
        )
        assert status == 200, page
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def first_cursor(api, path: str, **query: str) -> str:
    status, page = api("GET", path, query={"limit": "1", **query})
    assert status == 200 and page["next_cursor"], page
    return str(page["next_cursor"])


def _resources(resource_type: str, region: str, count: int, tag: str) -> list[Resource]:
    return [
        Resource(
            id=f"{tag}-{resource_type.rsplit('.', 1)[1]}-{region}-{n}", type=resource_type, region=region
        )
        for n in range(count)
    ]


@pytest.fixture
def two_accounts(connected, key_account) -> tuple[str, str]:
    """Two accounts of tenant-a (X by role, Y by access key), each with resources and three crawls."""
    inventory = dependencies.services().inventory
    ids = []
    for tag, (account, _) in zip("XY", (connected, key_account), strict=True):
        for resource_type, region, segment, count in [
            ("aws.ec2.vpc", "us-east-1", "us-east-1", 3),
            ("aws.ec2.vpc", "eu-west-1", "eu-west-1", 2),
            ("aws.s3.bucket", "ap-southeast-2", "global", 2),
        ]:
            resources = _resources(resource_type, region, count, tag)
            inventory.write("tenant-a", account["id"], segment, resource_type, resources, [])
        start = {"tenant_id": "tenant-a", "account_id": account["id"], "trigger": "manual"}
        for _ in range(3):  # crawls that end before any region (enough to be listed)
            begin = tasks.begin_crawl({"workflow": start}, LambdaContext())
            tasks.finish_crawl(begin | {"failure": "validation_failed"}, LambdaContext())
        ids.append(account["id"])
    return ids[0], ids[1]


# --- real cursors work ---------------------------------------------------------------------------------


INVENTORY_FILTERS = [
    {},
    {"type": "aws.ec2.vpc"},
    {"region": "us-east-1"},
    {"type": "aws.ec2.vpc", "region": "eu-west-1"},
]


@pytest.mark.parametrize("query", INVENTORY_FILTERS)
def test_real_inventory_cursors_page_through_everything_exactly_once(api, two_accounts, query):
    x, _ = two_accounts
    path = f"/v1/accounts/{x}/inventory"
    paged = [item["id"] for item in every_page(api, path, **query)]
    whole = [item["id"] for item in api("GET", path, query={"limit": "100", **query})[1]["items"]]
    assert paged == whole and len(set(paged)) == len(paged) and paged
    assert all(item.startswith("X-") for item in paged)


def test_real_cursors_page_through_accounts_crawls_and_audit_exactly_once(api, two_accounts):
    x, y = two_accounts
    for path, expected in [
        ("/v1/accounts", {x, y}),
        (f"/v1/accounts/{x}/crawls", None),
        ("/v1/audit", None),
    ]:
        paged = every_page(api, path, limit=1)
        whole = api("GET", path, query={"limit": "100"})[1]["items"]
        assert paged == whole and len(paged) >= 2
        if expected is not None:
            assert {item["id"] for item in paged} == expected


# --- anything else is a 400 ----------------------------------------------------------------------------


def _listings(x: str) -> list[tuple[str, Listing, str, dict[str, Any]]]:
    """(path, what its cursors are issued for, a sort key in range, the old unsigned cursor document)."""
    return [
        (
            f"/v1/accounts/{x}/inventory",
            Listing("tenant-a", "inventory", {"account": x, "type": None, "region": None}),
            "RES#aws.ec2.vpc#",
            {"account": x, "after": "RES#aws.ec2.vpc#"},
        ),
        (
            f"/v1/accounts/{x}/crawls",
            Listing("tenant-a", "crawls", {"account": x}),
            f"CRAWL#{x}#",
            {"account": x, "after": f"CRAWL#{x}#"},
        ),
        ("/v1/accounts", Listing("tenant-a", "accounts"), "ACCOUNT#", {"after": "ACCOUNT#"}),
        ("/v1/audit", Listing("tenant-a", "audit"), "AUDIT#9", {"after": "AUDIT#9"}),
    ]


def test_hand_made_well_formed_cursors_are_refused_on_every_listing(api, two_accounts):
    x, _ = two_accounts
    for path, listing, sort_key, legacy in _listings(x):
        forged = [
            # The old format: base64 JSON, well formed and in range.
            unpadded(json.dumps(legacy).encode()),
            # The new format with a made-up tag, or no tag.
            f"v1.{unpadded(sort_key.encode())}.{unpadded(bytes(16))}",
            f"v1.{unpadded(sort_key.encode())}.",
            # Issued for exactly this listing, but signed with a key that is not the deployment's.
            CursorSigner(StaticKey()).encode(listing, sort_key),
            "not-base64!",
            "",
        ]
        for cursor in forged:
            if cursor:
                assert_refused(api("GET", path, query={"cursor": cursor}))
        # Each listing does page with its own real cursor.
        assert api("GET", path, query={"limit": "1", "cursor": first_cursor(api, path)})[0] == 200


@pytest.mark.parametrize("listing", ["accounts", "inventory"])
def test_a_real_cursor_with_any_one_character_changed_is_refused(api, two_accounts, listing):
    x, _ = two_accounts
    path = "/v1/accounts" if listing == "accounts" else f"/v1/accounts/{x}/inventory"
    cursor = first_cursor(api, path)
    assert api("GET", path, query={"limit": "1", "cursor": cursor})[0] == 200
    for index, character in enumerate(cursor):
        for replacement in {"A" if character != "A" else "B", "." if character != "." else "-"}:
            altered = cursor[:index] + replacement + cursor[index + 1 :]
            assert_refused(api("GET", path, query={"limit": "1", "cursor": altered}))
    for altered in (cursor[:-1], cursor + "A", cursor + "=", "v2" + cursor[2:]):
        assert_refused(api("GET", path, query={"limit": "1", "cursor": altered}))


@pytest.mark.parametrize("listing", ["inventory", "crawls"])
def test_a_cursor_of_one_account_is_refused_on_another_account_of_the_same_tenant(api, two_accounts, listing):
    x, y = two_accounts
    cursor = first_cursor(api, f"/v1/accounts/{x}/{listing}")
    assert_refused(api("GET", f"/v1/accounts/{y}/{listing}", query={"limit": "1", "cursor": cursor}))
    assert api("GET", f"/v1/accounts/{x}/{listing}", query={"limit": "1", "cursor": cursor})[0] == 200


def test_a_cursor_is_refused_with_other_filters(api, two_accounts):
    x, _ = two_accounts
    path = f"/v1/accounts/{x}/inventory"
    for issued in INVENTORY_FILTERS:
        cursor = first_cursor(api, path, **issued)
        assert api("GET", path, query={"limit": "1", "cursor": cursor, **issued})[0] == 200
        for used in [*INVENTORY_FILTERS, {"region": "eu-west-1"}, {"type": "aws.s3.bucket"}]:
            if used != issued:
                assert_refused(api("GET", path, query={"limit": "1", "cursor": cursor, **used}))


def test_a_cursor_of_one_listing_is_refused_on_another(api, two_accounts):
    x, _ = two_accounts
    paths = [path for path, *_ in _listings(x)]
    for issued in paths:
        cursor = first_cursor(api, issued)
        for used in paths:
            if used != issued:
                assert_refused(api("GET", used, query={"limit": "1", "cursor": cursor}))


# --- the signing key -----------------------------------------------------------------------------------


def test_the_signing_key_is_derived_with_one_kms_call_per_container(api, two_accounts):
    x, _ = two_accounts
    calls: list[str] = []

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    # Clients copy their session's handlers when created: register before the new container makes its own.
    session = shared_botocore_session()
    session.register("before-call.kms.GenerateMac", count)
    try:
        reset_caches()  # a new container
        for path in ("/v1/accounts", f"/v1/accounts/{x}/inventory", f"/v1/accounts/{x}/crawls", "/v1/audit"):
            assert len(every_page(api, path, limit=1)) >= 2  # several cursors issued and verified each
        assert calls == ["GenerateMac"]
        cursor = first_cursor(api, f"/v1/accounts/{x}/inventory")

        reset_caches()  # another container: one call of its own, and the same key
        status, _ = api("GET", f"/v1/accounts/{x}/inventory", query={"limit": "1", "cursor": cursor})
        assert status == 200
        assert calls == ["GenerateMac", "GenerateMac"]
    finally:
        session.unregister("before-call.kms.GenerateMac", count)


def test_the_signing_key_is_the_kms_mac_of_the_fixed_label_and_is_never_logged(
    api, two_accounts, capsys, caplog
):
    x, _ = two_accounts
    mac = SESSION.client("kms").generate_mac(
        KeyId=CURSOR_KEY_ALIAS, Message=LABEL, MacAlgorithm=MAC_ALGORITHM
    )
    key = bytes(mac["Mac"])
    assert len(key) == 32
    listing = Listing("tenant-a", "inventory", {"account": x, "type": None, "region": None})
    path = f"/v1/accounts/{x}/inventory"
    # A cursor made with that key outside the API is one the API accepts: the key is exactly that MAC.
    made = CursorSigner(StaticKey(key)).encode(listing, "RES#aws.ec2.vpc#")
    assert api("GET", path, query={"limit": "1", "cursor": made})[0] == 200
    every_page(api, path, limit=1)
    captured = capsys.readouterr()
    output = captured.out + captured.err + caplog.text
    for spelling in (key.hex(), base64.b64encode(key).decode(), unpadded(key), str(key)):
        assert spelling not in output
    assert key.hex() not in repr(dependencies.services().inventory.__dict__)


def test_a_key_that_cannot_mac_fails_loudly_without_material(aws):
    with pytest.raises(CursorKeyError) as refused:
        KmsCursorKey(VAULT_KEY_ALIAS, "us-east-1").signing_key()  # an encryption key: no GenerateMac
    assert refused.value.code == "InvalidKeyUsageException"
    with pytest.raises(CursorKeyError, match="CursorKeyNotConfigured"):
        KmsCursorKey("", "us-east-1").signing_key()


# --- the signer on its own -----------------------------------------------------------------------------


LISTING = Listing("tenant-a", "inventory", {"account": "x", "type": "aws.ec2.vpc", "region": None})


def test_a_cursor_verifies_only_for_exactly_the_listing_it_was_issued_for():
    signer = CursorSigner(StaticKey())
    cursor = signer.encode(LISTING, "RES#aws.ec2.vpc#us-east-1#vpc-1")
    assert signer.decode(cursor, LISTING, "RES#aws.ec2.vpc#") == "RES#aws.ec2.vpc#us-east-1#vpc-1"
    others = [
        Listing("tenant-b", "inventory", LISTING.scope),
        Listing("tenant-a", "crawls", LISTING.scope),
        Listing("tenant-a", "inventory", {**LISTING.scope, "account": "y"}),
        Listing("tenant-a", "inventory", {**LISTING.scope, "type": None}),
        Listing("tenant-a", "inventory", {**LISTING.scope, "region": "us-east-1"}),
        Listing("tenant-a", "inventory", {"account": "x", "type": "aws.ec2.vpc"}),  # a filter left out
        Listing("tenant-a", "inventory", {**LISTING.scope, "extra": None}),
    ]
    for other in others:
        with pytest.raises(InvalidRequest):
            signer.decode(cursor, other, "RES#")
    with pytest.raises(InvalidRequest):  # signed, but not in the range the listing reads
        signer.decode(cursor, LISTING, "RES#aws.s3.bucket#")
    with pytest.raises(InvalidRequest):  # another deployment's key
        CursorSigner(StaticKey(b"o" * 32)).decode(cursor, LISTING, "RES#")


def test_a_cursor_is_url_safe_short_and_names_no_tenant():
    signer = CursorSigner(StaticKey())
    cursor = signer.encode(
        Listing("tenant-secret-name", "accounts"), "ACCOUNT#0b5e2c9e-8f61-4a47-9d2e-3f0a1c2b4d5e"
    )
    assert set(cursor) <= set(BASE64URL + ".") and len(cursor) < 100
    decoded = b"".join(base64.urlsafe_b64decode(part + "==") for part in cursor.split(".")[1:])
    assert b"tenant-secret-name" not in decoded


def test_the_key_is_asked_for_once_and_kept_out_of_repr():
    keys = StaticKey()
    signer = CursorSigner(keys)
    for n in range(20):
        signer.decode(signer.encode(LISTING, f"RES#{n}"), LISTING, "RES#")
    assert keys.calls == 1
    assert "kkkk" not in repr(signer) and "kkkk" not in str(vars(signer).get("_keys"))


def test_a_short_key_is_refused():
    with pytest.raises(CursorKeyError, match="ShortKey"):
        CursorSigner(StaticKey(b"short")).encode(LISTING, "RES#")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        ".",
        "v1",
        "v1..",
        "v1.UkVTIw.",
        "v1.UkVTIw.AAAAAAAAAAAAAAAAAAAAAA.x",
        "v1.UkVTIw==.AAAAAAAAAAAAAAAAAAAAAA",
        "v1." + "A" * 5000,
    ],
)
def test_malformed_cursors_are_refused(cursor):
    with pytest.raises(InvalidRequest) as refused:
        CursorSigner(StaticKey()).decode(cursor, LISTING, "RES#")
    assert refused.value.fields[0]["field"] == "cursor"
