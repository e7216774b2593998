"""Deployment settings: the few values the stack reads from CDK context and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from constructs import Construct, Node

STACK_NAME = "Skylight"
PROJECT_TAG = "skylight"
DEFAULT_REGION = "us-east-1"

# Repository layout: infra/ sits next to functions/ and the runtime requirements file.
REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"
LAYERS_DIR = REPO_ROOT / "layers"
REQUIREMENTS_FILE = REPO_ROOT / "requirements.txt"
CDK_JSON = REPO_ROOT / "cdk.json"


@dataclass(frozen=True)
class SkylightSettings:
    """Values that differ per deployment, with the defaults the functions also assume."""

    tenant_claim: str = "tenant_id"
    roles_claim: str = "roles"
    retention_days: int = 30
    # Stored credentials warn at this age and say "rotate now" at the next.
    credential_warn_days: int = 60
    credential_rotate_days: int = 90
    # Where the platform hosts the customer-role template for CloudFormation quick-create links.
    onboarding_template_url: str = ""
    # Origins of the platform's frontend allowed to call the API from a browser (CORS).
    cors_allowed_origins: tuple[str, ...] = ()
    # Reserved concurrency: each function's share is kept for it alone and is also the most it may
    # run at once, so an API flood can neither take the crawls' share nor use up the account's.
    # The defaults reserve 685 of the default regional quota of 1,000, leaving more than the 100
    # Lambda keeps unreserved for the account's other functions:
    # - API 200: the stage's burst limit, so every request the stage admits at once can run (a
    #   connect validates for about a second: 100 requests/s need about 100) and a flood meets the
    #   stage's 429 before a Lambda throttle;
    # - a running crawl invokes Begin, Validate, Plan and Finish one at a time, and CrawlSegmentBatch up
    #   to the Map's 20 batches at once: `concurrent_crawls` crawls at full width reserve that many
    #   of each step and 20 times as many region batches (20 -> 400). Schedules are spread over
    #   flexible windows and most crawls hold a few batches only; past the reservation a throttled
    #   task is retried by the state machine for up to two minutes, then its regions are failed;
    # - purge 5: a throttled stream batch is retried until its records expire (a day), and nothing
    #   about an aged-out account is urgent.
    # Values of the roles claim that make a caller an admin or a viewer, matched exactly.
    admin_role_name: str = "admin"
    viewer_role_name: str = "viewer"
    # Per-tenant limits (skylight.logic.limits): accounts that are not disconnected, validations a
    # minute (connect, test, new credentials, restore), on-demand crawl requests an hour per account.
    max_accounts_per_tenant: int = 500
    validations_per_minute: int = 30
    crawl_requests_per_hour: int = 12
    api_concurrency: int = 200
    concurrent_crawls: int = 20
    purge_concurrency: int = 5
    # The account's regional Lambda concurrency quota: the reservations must leave 100 of it free.
    account_concurrency_limit: int = 1000
    # Whether the platform principal may assume roles in accounts of the platform's own AWS
    # Organization (an internal platform serving its organization's accounts). The platform account
    # itself stays out of reach either way.
    allow_own_organization: bool = False
    # Alarms (infra/constructs/operations.py; what each means: docs/operations.md). They notify one SNS
    # topic; `alarm_email` subscribes an address to it.
    alarm_email: str = ""
    api_error_rate_percent: int = 5  # of the API's requests in 5 minutes answered 5xx
    api_p99_latency_ms: int = 5000
    crawl_failure_percent: int = 25  # of an hour's crawls of one provider that failed or ended partial
    retry_later_validations: int = 10  # validations answered retry_later in 15 minutes

    @classmethod
    def from_context(cls, scope: Construct) -> SkylightSettings:
        """Read overrides from CDK context (`cdk synth -c tenantClaim=org_id`)."""
        node = scope.node
        defaults = cls()
        return cls(
            tenant_claim=str(node.try_get_context("tenantClaim") or defaults.tenant_claim),
            roles_claim=str(node.try_get_context("rolesClaim") or defaults.roles_claim),
            retention_days=int(node.try_get_context("retentionDays") or defaults.retention_days),
            credential_warn_days=int(
                node.try_get_context("credentialWarnDays") or defaults.credential_warn_days
            ),
            credential_rotate_days=int(
                node.try_get_context("credentialRotateDays") or defaults.credential_rotate_days
            ),
            onboarding_template_url=str(node.try_get_context("onboardingTemplateUrl") or ""),
            cors_allowed_origins=_origins(node.try_get_context("corsAllowedOrigins")),
            admin_role_name=str(node.try_get_context("adminRoleName") or defaults.admin_role_name),
            viewer_role_name=str(node.try_get_context("viewerRoleName") or defaults.viewer_role_name),
            max_accounts_per_tenant=_positive_int(
                node, "maxAccountsPerTenant", defaults.max_accounts_per_tenant
            ),
            validations_per_minute=_positive_int(
                node, "validationsPerMinute", defaults.validations_per_minute
            ),
            crawl_requests_per_hour=_positive_int(
                node, "crawlRequestsPerHour", defaults.crawl_requests_per_hour
            ),
            api_concurrency=_positive_int(node, "apiConcurrency", defaults.api_concurrency),
            concurrent_crawls=_positive_int(node, "concurrentCrawls", defaults.concurrent_crawls),
            purge_concurrency=_positive_int(node, "purgeConcurrency", defaults.purge_concurrency),
            account_concurrency_limit=_positive_int(
                node, "accountConcurrencyLimit", defaults.account_concurrency_limit
            ),
            allow_own_organization=_boolean(node, "allowOwnOrganization", defaults.allow_own_organization),
            alarm_email=str(node.try_get_context("alarmEmail") or ""),
            api_error_rate_percent=_positive_int(
                node, "apiErrorRatePercent", defaults.api_error_rate_percent
            ),
            api_p99_latency_ms=_positive_int(node, "apiP99LatencyMs", defaults.api_p99_latency_ms),
            crawl_failure_percent=_positive_int(node, "crawlFailurePercent", defaults.crawl_failure_percent),
            retry_later_validations=_positive_int(
                node, "retryLaterValidations", defaults.retry_later_validations
            ),
        )


def _positive_int(node: Node, name: str, default: int) -> int:
    """A whole number of at least 1 from context (`-c name=20` gives a string), or `default`.

    Zero is refused rather than taken as "none": a reserved concurrency of 0 turns a function off.
    """
    value = node.try_get_context(name)
    if value is None:
        return default
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdecimal() or int(text) < 1:
        raise ValueError(f"context {name} must be a whole number of at least 1, got {value!r}")
    return int(text)


def _boolean(node: Node, name: str, default: bool) -> bool:
    """`true` or `false` from context: a JSON boolean in cdk.json, or the string `-c name=true` gives
    (any case), or `default`. Anything else is refused rather than guessed at."""
    value = node.try_get_context(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text not in ("true", "false"):
        raise ValueError(f"context {name} must be true or false, got {value!r}")
    return text == "true"


def _origins(value: object) -> tuple[str, ...]:
    """`-c corsAllowedOrigins=https://a.example,https://b.example` or a list in cdk.json."""
    if isinstance(value, str):
        return tuple(origin.strip() for origin in value.split(",") if origin.strip())
    if isinstance(value, list):
        return tuple(str(origin) for origin in value)
    return ()


def stack_environment(scope: Construct) -> cdk.Environment:
    """The target account and region.

    The region is always concrete: a TableV2 with a customer-managed key needs one. The account may
    stay unresolved (account-agnostic template) when neither the CLI nor the caller names it.
    """
    context_region = scope.node.try_get_context("region")
    region = context_region or os.environ.get("CDK_DEFAULT_REGION") or DEFAULT_REGION
    return cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=str(region))
