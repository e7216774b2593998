"""Every call Skylight makes to AWS STS and to customer accounts goes through `AwsGateway`.

The validation logic only sees this interface; `Boto3AwsGateway` is the production implementation.
Temporary credentials live in memory only and are never logged (their repr hides the secrets).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.credentials import DeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError

from skylight.gateways.sessions import (
    creating_clients,
    proxies_from_environment,
    session_with_shared_models,
    shared_session,
)
from skylight.providers.aws.client_pool import ClientPool, Hook
from skylight.providers.aws.permissions import Probe

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "SlowDown",
    }
)
SERVICE_OUTAGE_CODES = frozenset(
    {
        "ServiceUnavailable",
        "InternalFailure",
        "InternalError",
        "RequestTimeout",
        # botocore's own names for a network that did not answer
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
    }
)

# Default region per partition for account-wide calls (STS, S3 ListBuckets, the permission probe).
HOME_REGIONS = {"aws": "us-east-1", "aws-us-gov": "us-gov-west-1", "aws-cn": "cn-north-1"}


@dataclass(frozen=True)
class TemporaryCredentials:
    """Credentials for calls into a customer account; `session_token` is None for stored access keys."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    expiration: datetime | None = None


@dataclass(frozen=True)
class CallerIdentity:
    account: str
    arn: str


class AwsCallError(Exception):
    """An AWS call failed; carries the provider's own code and message (never credentials)."""

    def __init__(self, code: str, message: str, http_status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status

    @property
    def retryable(self) -> bool:
        """Throttling or an outage on AWS's side: trying later may work, changing the set-up won't help."""
        return (
            self.code in THROTTLING_CODES
            or self.code in SERVICE_OUTAGE_CODES
            or (self.http_status is not None and self.http_status >= 500)
        )


class CustomerAccount(Protocol):
    """Calls into one customer account with one set of temporary credentials."""

    def caller_identity(self) -> CallerIdentity: ...

    def probe(self, probe: Probe) -> None: ...

    def role_trust_policy(self, role_name: str) -> Any: ...

    def enabled_regions(self) -> list[str]: ...

    def access_key_created(self, access_key_id: str) -> datetime | None: ...


class AwsGateway(Protocol):
    def assume_role(
        self, role_arn: str, external_id: str | None, session_name: str
    ) -> TemporaryCredentials: ...

    def customer_account(
        self,
        credentials: TemporaryCredentials,
        partition: str,
        services: Iterable[str],
        account_id: str | None = None,
    ) -> CustomerAccount:
        """Ready-made clients for `services`, so that the calls that follow can all start at once.

        `account_id`, when known beforehand (a role's), lets probes name the account's own resources
        before its identity is read; otherwise the account's identity call tells it."""
        ...

    def regional_clients(
        self,
        credentials: TemporaryCredentials,
        region: str,
        services: Iterable[str],
        hooks: Iterable[tuple[str, Callable[..., Any]]] = (),
    ) -> dict[str, Any]:
        """boto3 clients for listing one region, with `hooks` seeing every call first; give them
        back with `release` once done (they may be kept warm for the next crawl)."""
        ...

    def release(self, clients: Iterable[Any]) -> None:
        """Clients from `regional_clients` that will not be used again: their credentials and hooks
        are dropped (a call would fail before being sent)."""
        ...


# Attempts in all, the first included (botocore's `max_attempts` would count retries only).
CALL_ATTEMPTS = 3
CRAWL_ATTEMPTS = 5
# A function's environment is fixed for its life: read once.
_PROXIES = proxies_from_environment()
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": CALL_ATTEMPTS},
    connect_timeout=3,
    read_timeout=10,
    max_pool_connections=20,
    proxies=_PROXIES,
)
# Crawls may wait a little longer and retry throttles a few more times, with jittered backoff;
# `adaptive` mode would not help, its rate limiter lives in one process.
_CRAWL_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": CRAWL_ATTEMPTS},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=32,
    tcp_keepalive=True,
    proxies=_PROXIES,
)
# What a pooled crawl client is made with, before the pool gives it the credentials of a crawl.
_LENT_PER_CRAWL = "lent-per-crawl"
# Regions that are on without opting in; `OptInStatus` says the same for the ones AWS reports.
ENABLED_OPT_IN_STATUSES = frozenset({"opt-in-not-required", "opted-in"})


class Boto3AwsGateway:
    """AWS through boto3, calling customer accounts only as the platform principal.

    The function's own role assumes the platform principal (cached and refreshed by botocore); the
    platform principal then assumes customer roles. No other identity ever reaches a customer.
    """

    def __init__(
        self,
        platform_principal_arn: str,
        region: str,
        session: boto3.Session | None = None,
        event_hooks: tuple[tuple[str, Callable[..., Any]], ...] = (),
    ) -> None:
        self._platform_principal_arn = platform_principal_arn
        self._region = region
        # Customer clients get explicit credentials, so a process-wide session (models cached) is safe;
        # the function's own identity comes from a session of its own (sharing the parsed models).
        self._session = session or shared_session()
        self._own_session = session or boto3.Session(botocore_session=session_with_shared_models())
        self._event_hooks = event_hooks
        self._platform_sts_lock = threading.Lock()
        self._platform_sts: Any = None
        self._crawl_clients = ClientPool(self._new_crawl_client)

    def assume_role(self, role_arn: str, external_id: str | None, session_name: str) -> TemporaryCredentials:
        arguments: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": session_name,
            "DurationSeconds": 900,
        }
        if external_id is not None:
            arguments["ExternalId"] = external_id
        response = _call(self._platform_principal_sts().assume_role, **arguments)
        credentials = response["Credentials"]
        return TemporaryCredentials(
            access_key_id=credentials["AccessKeyId"],
            secret_access_key=credentials["SecretAccessKey"],
            session_token=credentials["SessionToken"],
            expiration=credentials.get("Expiration"),
        )

    def web_identity_token(self, audience: str, duration_seconds: int) -> str:
        """A JWT signed by AWS STS for `audience` alone, as the platform principal (IAM outbound
        identity federation; the principal's policy bounds audiences and lifetime)."""
        response = _call(
            self._platform_principal_sts().get_web_identity_token,
            Audience=[audience],
            SigningAlgorithm="RS256",
            DurationSeconds=duration_seconds,
        )
        return str(response["WebIdentityToken"])

    def customer_account(
        self,
        credentials: TemporaryCredentials,
        partition: str,
        services: Iterable[str],
        account_id: str | None = None,
    ) -> CustomerAccount:
        # Created all here, one after another, before any call goes out.
        with creating_clients():
            clients = {
                service: self._hooked(
                    self._session.client(
                        service,
                        region_name=HOME_REGIONS.get(partition, self._region),
                        aws_access_key_id=credentials.access_key_id,
                        aws_secret_access_key=credentials.secret_access_key,
                        # None for long-term access keys: botocore then signs without a token.
                        aws_session_token=credentials.session_token or None,
                        config=_CLIENT_CONFIG,
                    )
                )
                for service in sorted(set(services))
            }
        return Boto3CustomerAccount(clients, partition, account_id)

    def regional_clients(
        self,
        credentials: TemporaryCredentials,
        region: str,
        services: Iterable[str],
        hooks: Iterable[tuple[str, Callable[..., Any]]] = (),
    ) -> dict[str, Any]:
        hooks = tuple(hooks)
        return {
            service: self._crawl_clients.take(
                region,
                service,
                credentials.access_key_id,
                credentials.secret_access_key,
                credentials.session_token,
                hooks,
            )
            for service in sorted(set(services))
        }

    def release(self, clients: Iterable[Any]) -> None:
        self._crawl_clients.give_back(clients)

    @property
    def idle_crawl_clients(self) -> int:
        """Crawl clients kept warm for the next crawl (see `client_pool`)."""
        return self._crawl_clients.idle

    def _new_crawl_client(self, region: str, service: str, lent_hooks: Sequence[Hook]) -> Any:
        with creating_clients():
            client = self._session.client(
                service,
                region_name=region,
                # Replaced at once by the credentials of whichever crawl holds the client.
                aws_access_key_id=_LENT_PER_CRAWL,
                aws_secret_access_key=_LENT_PER_CRAWL,
                config=_CRAWL_CONFIG,
            )
        # The crawl's hooks first (budget, accounting, pages), then instrumentation.
        for event_name, hook in lent_hooks:
            client.meta.events.register_first(event_name, hook)
        return self._hooked(client)

    def _hooked(self, client: Any) -> Any:
        # First, so that instrumentation sees every call before botocore's own handlers answer it.
        for event_name, hook in self._event_hooks:
            client.meta.events.register_first(event_name, hook)
        return client

    def _platform_principal_sts(self) -> Any:
        """An STS client signed as the platform principal, refreshed before its credentials expire."""
        with self._platform_sts_lock:
            if self._platform_sts is None:
                self._platform_sts = self._platform_principal_client()
            return self._platform_sts

    def _platform_principal_client(self) -> Any:
        with creating_clients():
            own_sts = self._own_session.client("sts", region_name=self._region, config=_CLIENT_CONFIG)

            def refresh() -> dict[str, Any]:
                response = _call(
                    own_sts.assume_role,
                    RoleArn=self._platform_principal_arn,
                    RoleSessionName="skylight-platform",
                    DurationSeconds=3600,
                )["Credentials"]
                return {
                    "access_key": response["AccessKeyId"],
                    "secret_key": response["SecretAccessKey"],
                    "token": response["SessionToken"],
                    "expiry_time": response["Expiration"].isoformat(),
                }

            own_sts = self._hooked(own_sts)
            botocore_session = session_with_shared_models()
            # botocore's usual way to give a session credentials that refresh themselves.
            botocore_session._credentials = DeferredRefreshableCredentials(
                refresh_using=refresh, method="sts-assume-role"
            )
            platform_session = boto3.Session(botocore_session=botocore_session)
            return self._hooked(
                platform_session.client("sts", region_name=self._region, config=_CLIENT_CONFIG)
            )


class Boto3CustomerAccount:
    """One customer account through boto3 clients that hold the temporary credentials (in memory only)."""

    def __init__(
        self, clients: dict[str, Any], partition: str = "aws", account_id: str | None = None
    ) -> None:
        self._clients = clients
        self._partition = partition
        self._account_id = account_id

    def caller_identity(self) -> CallerIdentity:
        response = _call(self._clients["sts"].get_caller_identity)
        self._account_id = self._account_id or str(response["Account"])
        return CallerIdentity(account=response["Account"], arn=response["Arn"])

    def probe(self, probe: Probe) -> None:
        client = self._clients[probe.client]
        arguments = probe.arguments_in(self._partition, client.meta.region_name, self._account_id)
        _call(getattr(client, probe.operation), **arguments)

    def role_trust_policy(self, role_name: str) -> Any:
        """The role's trust policy, read with the role's own credentials (needs iam:GetRole)."""
        return _call(self._clients["iam"].get_role, RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]

    def enabled_regions(self) -> list[str]:
        """The regions this account may use; opt-in regions that are off are left out, not timed out."""
        regions = _call(self._clients["ec2"].describe_regions, AllRegions=False)["Regions"]
        return sorted(
            region["RegionName"]
            for region in regions
            if region.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN_STATUSES
        )

    def access_key_created(self, access_key_id: str) -> datetime | None:
        """When the signing user's key was created (needs iam:ListAccessKeys on the user itself)."""
        keys = _call(self._clients["iam"].list_access_keys)["AccessKeyMetadata"]
        return next((k["CreateDate"] for k in keys if k["AccessKeyId"] == access_key_id), None)


def _call(operation: Any, **arguments: Any) -> Any:
    try:
        return operation(**arguments)
    except ClientError as error:
        details = error.response.get("Error", {})
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        raise AwsCallError(
            details.get("Code", "Unknown"), details.get("Message", str(error)), status
        ) from None
    except BotoCoreError as error:
        raise AwsCallError(type(error).__name__, "AWS could not be reached") from None
