"""The single-table DynamoDB implementation of the repositories, with PynamoDB.

Keys: every item of a tenant shares `pk = TENANT#<tenant id>`; `sk` says what the item is
(`TENANT`, `ACCOUNT#<id>`, `CONNECTION#<connection key>`, `SECRET#<account id>` (a sealed secret),
`AUDIT#<time>#<random>`, `ACCOUNTS` (how many accounts are not disconnected), `LIMIT#<counter>#<window
start>` (a rate limit's uses in one window)). Disconnected accounts carry `ttl` and reads skip them
once it has passed, since DynamoDB deletes expired items up to days late.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import GetError, PutError, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from skylight.dal.base import ConcurrentUpdate, LimitReached, Page, TooManyAccounts
from skylight.dal.connection import bind_models, shared_connection
from skylight.dal.cursors import CursorSigner, Listing
from skylight.models.domain import (
    DEFAULT_CRAWL_INTERVAL_MINUTES,
    Access,
    Account,
    AccountStatus,
    AuditEntry,
    CredentialAgeSource,
    Permissions,
    Tenant,
    ValidationStep,
)
from skylight.models.errors import AlreadyConnected
from skylight.models.secrets import SealedSecret, SecretScope

ACCOUNT_PREFIX = "ACCOUNT#"
CONNECTION_PREFIX = "CONNECTION#"
SECRET_PREFIX = "SECRET#"  # noqa: S105 - a sort-key prefix, not a secret
AUDIT_PREFIX = "AUDIT#"
LIMIT_PREFIX = "LIMIT#"
TENANT_SK = "TENANT"
ACCOUNT_COUNT_SK = "ACCOUNTS"


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


class _Item(Model):
    class Meta:
        table_name = "skylight"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class TenantItem(_Item):
    created_at = UTCDateTimeAttribute()
    provider_state = JSONAttribute(null=True)
    state_version = NumberAttribute(null=True)
    federation_audience = UnicodeAttribute(null=True)
    # Written before providers owned their state: these are the AWS provider's (its External IDs),
    # read as its state until that is next saved, which removes them.
    external_id = UnicodeAttribute(null=True)
    external_id_generation = NumberAttribute(null=True)
    previous_external_id = UnicodeAttribute(null=True)
    rotation_started_at = UTCDateTimeAttribute(null=True)


#: Concurrent first uses of a provider by one tenant: each re-reads and finds the winner's state.
FIRST_STATE_ATTEMPTS = 3
#: The provider whose state the attributes above are.
LEGACY_STATE_PROVIDER = "aws"
_LEGACY_STATE = (
    TenantItem.external_id,
    TenantItem.external_id_generation,
    TenantItem.previous_external_id,
    TenantItem.rotation_started_at,
)


class SecretItem(_Item):
    """One sealed secret: ciphertext, the KMS-wrapped data key, key id and nonce. No plaintext, ever."""

    class Meta:  # its own: PynamoDB shares a parent's Meta, and secrets live in a table of their own
        table_name = "skylight-secrets"

    purpose = UnicodeAttribute()
    secret_version = NumberAttribute()
    algorithm = UnicodeAttribute()
    ciphertext = BinaryAttribute(legacy_encoding=False)
    encrypted_data_key = BinaryAttribute(legacy_encoding=False)
    key_id = UnicodeAttribute()
    nonce = BinaryAttribute(legacy_encoding=False)
    created_at = UTCDateTimeAttribute()


class AuditItem(_Item):
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    target = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute()
    details = JSONAttribute(null=True)


class ConnectionGuardItem(_Item):
    """Exists while a connection key is in use, so the same role can't be connected twice."""

    account_id = UnicodeAttribute()


class AccountItem(_Item):
    provider = UnicodeAttribute()
    name = UnicodeAttribute()
    access = UnicodeAttribute()
    status = UnicodeAttribute()
    credentials = JSONAttribute()
    connection_key = UnicodeAttribute()
    provider_account_id = UnicodeAttribute(null=True)
    provider_state = JSONAttribute(null=True)
    permissions = JSONAttribute(null=True)
    steps = JSONAttribute(null=True)
    connected_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    last_validated_at = UTCDateTimeAttribute(null=True)
    last_validation_result = UnicodeAttribute(null=True)
    disconnected_at = UTCDateTimeAttribute(null=True)
    retained_until = UTCDateTimeAttribute(null=True)
    credentials_created_at = UTCDateTimeAttribute(null=True)
    credentials_age_source = UnicodeAttribute(null=True)
    credentials_updated_at = UTCDateTimeAttribute(null=True)
    ttl = TTLAttribute(null=True)
    crawl_interval_minutes = NumberAttribute(null=True)
    version = VersionAttribute()
    # Written before providers owned their state: the AWS provider's, read into `provider_state`
    # (which wins) and dropped when the account is next saved.
    identity_arn = UnicodeAttribute(null=True)
    external_id_generation = NumberAttribute(null=True)


class AccountCountItem(_Item):
    """How many of the tenant's accounts are not disconnected; changed in the same transaction as
    the account, so the limit on accounts holds under concurrent connects."""

    active = NumberAttribute()


class LimitItem(_Item):
    """The uses of one rate limit in one window; expires (TTL) a day after its window ends."""

    used = NumberAttribute()
    ttl = TTLAttribute(null=True)


_MODELS: tuple[type[_Item], ...] = (
    TenantItem,
    ConnectionGuardItem,
    AccountItem,
    AuditItem,
    AccountCountItem,
    LimitItem,
)


def bind_table(table_name: str, region: str) -> None:
    """Point every item model but sealed secrets at the deployment's table (from settings at start-up)."""
    bind_models(_MODELS, table_name, region)


def bind_secret_table(table_name: str, region: str, secrets_table_name: str | None) -> None:
    """Sealed secrets live in a table of their own, without point-in-time recovery (a destroyed secret
    must not come back from a restore); none named: the main table (local runs, tests)."""
    bind_models((SecretItem,), secrets_table_name or table_name, region)


class DynamoTenantRepository:
    def __init__(self, table_name: str, region: str) -> None:
        bind_table(table_name, region)

    def get_or_create(
        self,
        tenant_id: str,
        provider: str | None = None,
        new_state: Callable[[], dict[str, Any]] | None = None,
    ) -> Tenant:
        item = _get(TenantItem, tenant_pk(tenant_id), TENANT_SK)
        if item is None:
            # The provider asked about gets its state in the same write that creates the tenant.
            first = new_state() if provider and new_state else {}
            state = {provider: first} if provider and first else {}
            item = TenantItem(
                tenant_pk(tenant_id),
                TENANT_SK,
                created_at=_now(),
                provider_state=state or None,
                state_version=1 if state else None,
            )
            try:
                item.save(condition=TenantItem.pk.does_not_exist())
            except PutError as error:
                if not _is_conditional_failure(error):
                    raise
                # Another request created the tenant first; its state wins.
                item = TenantItem.get(tenant_pk(tenant_id), TENANT_SK, consistent_read=True)
        tenant = _to_tenant(tenant_id, item)
        if provider is None or new_state is None or provider in tenant.provider_state:
            return tenant
        return self._first_state(tenant, provider, new_state)

    def _first_state(self, tenant: Tenant, provider: str, new_state: Callable[[], dict[str, Any]]) -> Tenant:
        for _ in range(FIRST_STATE_ATTEMPTS):
            state = new_state()
            if not state:
                return tenant
            try:
                return self.save_provider_state(tenant, provider, state)
            except ConcurrentUpdate:
                item = TenantItem.get(tenant_pk(tenant.tenant_id), TENANT_SK, consistent_read=True)
                tenant = _to_tenant(tenant.tenant_id, item)
                if provider in tenant.provider_state:
                    return tenant  # another request made it first: its state wins
        raise ConcurrentUpdate(tenant.tenant_id)

    def save_provider_state(self, tenant: Tenant, provider: str, state: dict[str, Any]) -> Tenant:
        states = {**tenant.provider_state, provider: state}
        version = tenant.state_version + 1
        item = TenantItem(tenant_pk(tenant.tenant_id), TENANT_SK)
        unchanged = (
            TenantItem.state_version == tenant.state_version
            if tenant.state_version
            else TenantItem.state_version.does_not_exist()
        )
        try:
            item.update(
                actions=[
                    TenantItem.provider_state.set(states),
                    TenantItem.state_version.set(version),
                    *(attribute.remove() for attribute in _LEGACY_STATE),
                ],
                condition=TenantItem.pk.exists() & unchanged,
            )
        except UpdateError as error:
            if _is_conditional_failure(error):
                raise ConcurrentUpdate(tenant.tenant_id) from None
            raise
        return tenant.model_copy(update={"provider_state": states, "state_version": version})

    def ensure_federation_audience(self, tenant_id: str, new_audience: Callable[[], str]) -> str:
        item = TenantItem(tenant_pk(tenant_id), TENANT_SK)
        # if_not_exists: a stored audience never changes, whoever else is writing one right now.
        item.update(
            actions=[TenantItem.federation_audience.set(TenantItem.federation_audience | new_audience())],
            condition=TenantItem.pk.exists(),
        )
        return str(item.federation_audience)


def _to_tenant(tenant_id: str, item: TenantItem) -> Tenant:
    states = dict(item.provider_state or {})
    if item.external_id is not None and LEGACY_STATE_PROVIDER not in states:
        states[LEGACY_STATE_PROVIDER] = {
            "external_id": item.external_id,
            "external_id_generation": int(item.external_id_generation or 1),
            "previous_external_id": item.previous_external_id,
            "rotation_started_at": item.rotation_started_at.isoformat() if item.rotation_started_at else None,
        }
    return Tenant(
        tenant_id=tenant_id,
        created_at=item.created_at,
        provider_state=states,
        state_version=int(item.state_version or 0),
        federation_audience=item.federation_audience,
    )


class DynamoAccountRepository:
    def __init__(
        self,
        table_name: str,
        region: str,
        cursors: CursorSigner,
        secrets_table_name: str | None = None,
    ) -> None:
        bind_table(table_name, region)
        bind_secret_table(table_name, region, secrets_table_name)
        self._connection = shared_connection(region)
        self._cursors = cursors

    def create(self, account: Account, secret: SealedSecret | None = None, most: int | None = None) -> None:
        item = _to_item(account)
        self._count_item(account.tenant_id)
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(_guard(account), condition=ConnectionGuardItem.pk.does_not_exist())
                transaction.save(item, condition=AccountItem.pk.does_not_exist())
                _count_one_more(transaction, account.tenant_id, most)
                if secret is not None:
                    transaction.save(_secret_item(secret))
        except TransactWriteError as error:
            _raise_if_guard_taken(error, account)
            _raise_if_too_many(error, most)
            raise

    def active_count(self, tenant_id: str) -> int:
        return int(self._count_item(tenant_id).active)

    def _count_item(self, tenant_id: str) -> AccountCountItem:
        """The tenant's count of accounts; made on first use from the accounts stored before counts
        existed (every later change to it comes with the change of an account)."""
        found = _get(AccountCountItem, tenant_pk(tenant_id), ACCOUNT_COUNT_SK)
        if found is not None:
            return found
        active = AccountItem.count(
            tenant_pk(tenant_id),
            AccountItem.sk.startswith(ACCOUNT_PREFIX),
            filter_condition=AccountItem.status != AccountStatus.DISCONNECTED.value,
            consistent_read=True,
        )
        item = AccountCountItem(tenant_pk(tenant_id), ACCOUNT_COUNT_SK, active=active)
        try:
            item.save(condition=AccountCountItem.pk.does_not_exist())
        except PutError as error:
            if not _is_conditional_failure(error):
                raise
            return AccountCountItem.get(tenant_pk(tenant_id), ACCOUNT_COUNT_SK, consistent_read=True)
        return item

    def connection_owner(self, tenant_id: str, connection_key: str) -> str | None:
        return _guard_owner(tenant_id, connection_key)

    def get(self, tenant_id: str, account_id: str, now: datetime) -> Account | None:
        return _live_account(
            tenant_id, _get(AccountItem, tenant_pk(tenant_id), ACCOUNT_PREFIX + account_id), now
        )

    def is_active(self, tenant_id: str, account_id: str, now: datetime) -> bool:
        try:
            item = AccountItem.get(
                tenant_pk(tenant_id),
                ACCOUNT_PREFIX + account_id,
                consistent_read=True,
                attributes_to_get=["status", "ttl"],
            )
        except AccountItem.DoesNotExist:
            return False
        return item.status != AccountStatus.DISCONNECTED.value and not _expired(item, now)

    def list(self, tenant_id: str, limit: int, cursor: str | None, now: datetime) -> Page[Account]:
        listing = Listing(tenant_id, "accounts")
        start_key = _start_key(self._cursors, listing, cursor, ACCOUNT_PREFIX)
        results = AccountItem.query(
            tenant_pk(tenant_id),
            AccountItem.sk.startswith(ACCOUNT_PREFIX),
            filter_condition=AccountItem.ttl.does_not_exist() | (AccountItem.ttl > now),
            limit=limit,
            page_size=limit,
            last_evaluated_key=start_key,
        )
        items = [_to_account(tenant_id, item) for item in results]
        return Page(
            items, _next_cursor(self._cursors, listing, results.last_evaluated_key, len(items), limit)
        )

    def update(self, account: Account) -> Account:
        item = _to_item(account)
        try:
            item.save()
        except PutError as error:
            if _is_conditional_failure(error):
                raise ConcurrentUpdate(account.id) from None
            raise
        return _to_account(account.tenant_id, item)

    def replace_credentials(
        self, account: Account, previous_connection_key: str, secret: SealedSecret | None
    ) -> Account:
        item = _to_item(account)
        try:
            with TransactWrite(connection=self._connection) as transaction:
                if account.connection_key != previous_connection_key:
                    transaction.save(_guard(account), condition=ConnectionGuardItem.pk.does_not_exist())
                    transaction.delete(
                        _guard(account, previous_connection_key),
                        condition=ConnectionGuardItem.account_id == account.id,
                    )
                transaction.save(item)
                if secret is not None:
                    transaction.save(_secret_item(secret))
        except TransactWriteError as error:
            if account.connection_key != previous_connection_key:
                _raise_if_guard_taken(error, account)
            _raise_if_conditional(error, account)
            raise
        return _to_account(account.tenant_id, item)

    def disconnect(self, account: Account) -> Account:
        item = _to_item(account)
        self._count_item(account.tenant_id)
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(item)
                transaction.delete(_guard(account), condition=ConnectionGuardItem.account_id == account.id)
                transaction.update(
                    _count_key(account.tenant_id),
                    actions=[AccountCountItem.active.add(-1)],
                    condition=AccountCountItem.pk.exists(),
                )
                # Crypto-shredding: the ciphertext and its wrapped data key go at once, not with the TTL.
                transaction.delete(SecretItem(tenant_pk(account.tenant_id), SECRET_PREFIX + account.id))
        except TransactWriteError as error:
            _raise_if_conditional(error, account)
            raise
        return _to_account(account.tenant_id, item)

    def restore(self, account: Account, secret: SealedSecret | None, most: int | None = None) -> Account:
        item = _to_item(account)
        self._count_item(account.tenant_id)
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(_guard(account), condition=ConnectionGuardItem.pk.does_not_exist())
                transaction.save(item)
                _count_one_more(transaction, account.tenant_id, most)
                if secret is not None:
                    transaction.save(_secret_item(secret))
        except TransactWriteError as error:
            _raise_if_guard_taken(error, account)
            _raise_if_too_many(error, most)
            _raise_if_conditional(error, account)
            raise
        return _to_account(account.tenant_id, item)


def _count_key(tenant_id: str) -> AccountCountItem:
    return AccountCountItem(tenant_pk(tenant_id), ACCOUNT_COUNT_SK)


# Where the count's update sits in the transactions that add an account (after guard and account).
_COUNT_WRITE = 2


def _count_one_more(transaction: TransactWrite, tenant_id: str, most: int | None) -> None:
    """One more account that is not disconnected, unless the tenant has `most` already."""
    condition = AccountCountItem.pk.exists()
    if most is not None:
        condition &= AccountCountItem.active < most
    transaction.update(_count_key(tenant_id), actions=[AccountCountItem.active.add(1)], condition=condition)


def _raise_if_too_many(error: TransactWriteError, most: int | None) -> None:
    reasons = error.cancellation_reasons
    if most is not None and len(reasons) > _COUNT_WRITE:
        reason = reasons[_COUNT_WRITE]
        if reason is not None and reason.code == "ConditionalCheckFailed":
            raise TooManyAccounts(most) from None


class DynamoRateLimits:
    """Fixed-window counters, one item per (tenant, counter, window), taken with a conditional update:
    exact however many functions take them at once."""

    def __init__(self, table_name: str, region: str) -> None:
        bind_table(table_name, region)

    def take(self, tenant_id: str, counter: str, most: int, window: timedelta, now: datetime) -> None:
        length = max(1, int(window.total_seconds()))
        start = int(now.timestamp()) // length * length
        ends = datetime.fromtimestamp(start + length, UTC)
        item = LimitItem(tenant_pk(tenant_id), f"{LIMIT_PREFIX}{counter}#{start}")
        try:
            item.update(
                actions=[LimitItem.used.add(1), LimitItem.ttl.set(ends + timedelta(days=1))],
                condition=LimitItem.used.does_not_exist() | (LimitItem.used < most),
            )
        except UpdateError as error:
            if _is_conditional_failure(error):
                raise LimitReached(max(1, math.ceil((ends - now).total_seconds()))) from None
            raise


class DynamoSecretRepository:
    def __init__(self, table_name: str, region: str, secrets_table_name: str | None = None) -> None:
        bind_secret_table(table_name, region, secrets_table_name)

    def get(self, tenant_id: str, account_id: str) -> SealedSecret | None:
        item = _get(SecretItem, tenant_pk(tenant_id), SECRET_PREFIX + account_id)
        if item is None:
            return None
        return SealedSecret(
            scope=SecretScope(tenant_id=tenant_id, account_id=account_id, purpose=item.purpose),
            version=int(item.secret_version),
            ciphertext=item.ciphertext,
            encrypted_data_key=item.encrypted_data_key,
            key_id=item.key_id,
            nonce=item.nonce,
            created_at=item.created_at,
            algorithm=item.algorithm,
        )


class DynamoAuditRepository:
    def __init__(self, table_name: str, region: str, cursors: CursorSigner) -> None:
        bind_table(table_name, region)
        self._cursors = cursors

    def record(self, entry: AuditEntry) -> None:
        # Time first so the sort key orders entries; the random tail keeps same-instant entries apart.
        sort_key = f"{AUDIT_PREFIX}{entry.at.isoformat()}#{secrets.token_hex(4)}"
        AuditItem(
            tenant_pk(entry.tenant_id),
            sort_key,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            outcome=entry.outcome,
            details=entry.details or None,
        ).save()

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page[AuditEntry]:
        listing = Listing(tenant_id, "audit")
        start_key = _start_key(self._cursors, listing, cursor, AUDIT_PREFIX)
        results = AuditItem.query(
            tenant_pk(tenant_id),
            AuditItem.sk.startswith(AUDIT_PREFIX),
            scan_index_forward=False,
            limit=limit,
            page_size=limit,
            last_evaluated_key=start_key,
        )
        items = [
            AuditEntry(
                tenant_id=tenant_id,
                at=item.at,
                actor=item.actor,
                action=item.action,
                target=item.target,
                outcome=item.outcome,
                details=item.details or {},
            )
            for item in results
        ]
        return Page(
            items, _next_cursor(self._cursors, listing, results.last_evaluated_key, len(items), limit)
        )


def _guard(account: Account, connection_key: str | None = None) -> ConnectionGuardItem:
    return ConnectionGuardItem(
        tenant_pk(account.tenant_id),
        CONNECTION_PREFIX + (connection_key or account.connection_key),
        account_id=account.id,
    )


def _secret_item(secret: SealedSecret) -> SecretItem:
    return SecretItem(
        tenant_pk(secret.scope.tenant_id),
        SECRET_PREFIX + secret.scope.account_id,
        purpose=secret.scope.purpose,
        secret_version=secret.version,
        algorithm=secret.algorithm,
        ciphertext=secret.ciphertext,
        encrypted_data_key=secret.encrypted_data_key,
        key_id=secret.key_id,
        nonce=secret.nonce,
        created_at=secret.created_at,
    )


def _raise_if_guard_taken(error: TransactWriteError, account: Account) -> None:
    """The first write of these transactions claims the connection key: its failure means it is taken."""
    reasons = [reason.code if reason else None for reason in error.cancellation_reasons]
    if reasons and reasons[0] == "ConditionalCheckFailed":
        raise AlreadyConnected(
            "this connection already exists in your tenant",
            account_id=_guard_owner(account.tenant_id, account.connection_key),
        ) from None


def _raise_if_conditional(error: TransactWriteError, account: Account) -> None:
    if any(r and r.code == "ConditionalCheckFailed" for r in error.cancellation_reasons):
        raise ConcurrentUpdate(account.id) from None


def _guard_owner(tenant_id: str, connection_key: str) -> str | None:
    guard = _get(ConnectionGuardItem, tenant_pk(tenant_id), CONNECTION_PREFIX + connection_key)
    return guard.account_id if guard else None


def _get(model: Any, pk: str, sk: str) -> Any:
    try:
        return model.get(pk, sk, consistent_read=True)
    except model.DoesNotExist:
        return None


Key = tuple[str, str]
# Keys a BatchGetItem left unread (the table was throttled) are asked again this many times in all,
# after a pause that doubles from the first.
BATCH_GET_ATTEMPTS = 5
BATCH_GET_FIRST_PAUSE_S = 0.05


def get_many(keys: Sequence[Key]) -> dict[Key, dict[str, Any]]:
    """The raw items (of any kind) under `keys` (at most 100) of the main table, read consistently in
    one BatchGetItem; a key with no item is absent. Turn one into its model with `from_raw_data`."""
    table = TenantItem._get_connection()  # every item model but sealed secrets is on this table
    wanted, found = list(dict.fromkeys(keys)), {}
    for attempt in range(BATCH_GET_ATTEMPTS):
        if attempt:
            time.sleep(BATCH_GET_FIRST_PAUSE_S * 2 ** (attempt - 1))
        asked: Any = [{"pk": pk, "sk": sk} for pk, sk in wanted]  # PynamoDB's hint says str; it takes maps
        answer = table.batch_get_item(asked, consistent_read=True)
        for raw in answer.get("Responses", {}).get(table.table_name, []):
            found[(raw["pk"]["S"], raw["sk"]["S"])] = raw
        unread = answer.get("UnprocessedKeys", {}).get(table.table_name, {}).get("Keys", [])
        if not unread:
            return found
        wanted = [(key["pk"]["S"], key["sk"]["S"]) for key in unread]
    raise GetError(f"{len(wanted)} of the keys asked for were still unread after {BATCH_GET_ATTEMPTS} tries")


def _is_conditional_failure(error: PutError | UpdateError) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def _expired(item: AccountItem, now: datetime) -> bool:
    return item.ttl is not None and item.ttl <= now


def _live_account(tenant_id: str, item: AccountItem | None, now: datetime) -> Account | None:
    """The account `item` holds; None when there is none or it has aged out (DynamoDB deletes
    expired items up to days late)."""
    if item is None or _expired(item, now):
        return None
    return _to_account(tenant_id, item)


def _to_item(account: Account) -> AccountItem:
    item = AccountItem(
        tenant_pk(account.tenant_id),
        ACCOUNT_PREFIX + account.id,
        provider=account.provider,
        name=account.name,
        access=account.access.value,
        status=account.status.value,
        credentials=account.credentials,
        connection_key=account.connection_key,
        provider_account_id=account.provider_account_id,
        provider_state=account.provider_state or None,
        permissions=account.permissions.model_dump(mode="json"),
        steps=[step.model_dump(mode="json") for step in account.steps],
        connected_at=account.connected_at,
        updated_at=account.updated_at,
        last_validated_at=account.last_validated_at,
        last_validation_result=account.last_validation_result,
        disconnected_at=account.disconnected_at,
        retained_until=account.retained_until,
        credentials_created_at=account.credentials_created_at,
        credentials_age_source=account.credentials_age_source.value
        if account.credentials_age_source
        else None,
        credentials_updated_at=account.credentials_updated_at,
        ttl=account.retained_until,
        crawl_interval_minutes=account.crawl_interval_minutes,
    )
    if account.version:
        item.version = account.version  # PynamoDB checks and increments it on save
    return item


def _to_account(tenant_id: str, item: AccountItem) -> Account:
    return Account(
        id=item.sk.removeprefix(ACCOUNT_PREFIX),
        tenant_id=tenant_id,
        provider=item.provider,
        name=item.name,
        access=Access(item.access),
        status=AccountStatus(item.status),
        credentials=item.credentials,
        connection_key=item.connection_key,
        provider_account_id=item.provider_account_id,
        provider_state={**_legacy_account_state(item), **(item.provider_state or {})},
        permissions=Permissions.model_validate(item.permissions or {}),
        steps=[ValidationStep.model_validate(step) for step in item.steps or []],
        connected_at=item.connected_at,
        updated_at=item.updated_at,
        last_validated_at=item.last_validated_at,
        last_validation_result=item.last_validation_result,
        disconnected_at=item.disconnected_at,
        retained_until=item.retained_until,
        crawl_interval_minutes=int(item.crawl_interval_minutes or DEFAULT_CRAWL_INTERVAL_MINUTES),
        credentials_created_at=item.credentials_created_at,
        credentials_age_source=CredentialAgeSource(item.credentials_age_source)
        if item.credentials_age_source
        else None,
        credentials_updated_at=item.credentials_updated_at,
        version=item.version or 0,
    )


def _legacy_account_state(item: AccountItem) -> dict[str, Any]:
    legacy = {
        "identity_arn": item.identity_arn,
        "external_id_generation": int(item.external_id_generation) if item.external_id_generation else None,
    }
    return {key: value for key, value in legacy.items() if value is not None}


def _next_cursor(
    cursors: CursorSigner, listing: Listing, last_key: dict[str, Any] | None, count: int, limit: int
) -> str | None:
    return cursors.encode(listing, last_key["sk"]["S"]) if last_key and count == limit else None


def _start_key(
    cursors: CursorSigner, listing: Listing, cursor: str | None, prefix: str
) -> dict[str, dict[str, str]] | None:
    """The start key of a signed cursor (400 otherwise); the partition always comes from the caller."""
    if not cursor:
        return None
    return {"pk": {"S": tenant_pk(listing.tenant_id)}, "sk": {"S": cursors.decode(cursor, listing, prefix)}}


def _now() -> datetime:
    return datetime.now(UTC)
