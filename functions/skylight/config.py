"""Runtime configuration, read once per container from the environment the stack sets."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    """Everything a function needs to know about its deployment.

    Every value comes from an environment variable of the same name in upper case; the CDK
    stack sets them and the local run sets them to the emulator's resources.
    """

    table_name: str
    platform_principal_arn: str
    region: str
    state_machine_arn: str
    schedule_group_name: str
    scheduler_role_arn: str
    tenant_claim: str
    roles_claim: str
    retention_days: int
    onboarding_template_url: str
    #: The vault's KMS key (id, ARN or alias) that wraps every secret's data key.
    vault_key_id: str = "alias/skylight-vault"
    #: The table of sealed secrets (no point-in-time recovery, so a destroyed secret stays destroyed);
    #: empty: the main table (local runs and tests that store no secret).
    secrets_table_name: str = ""
    #: The KMS HMAC key (id, ARN or alias) whose MAC of a fixed label signs pagination cursors; only
    #: the API function has it (and may use it), the others never issue or read a cursor.
    cursor_key_id: str = ""
    #: Stored credentials older than this get a warning, older than `credential_rotate_days` "rotate now".
    credential_warn_days: int = 60
    credential_rotate_days: int = 90
    #: The values of the roles claim that make a caller an admin or a viewer (exact, case-sensitive).
    admin_role_name: str = "admin"
    viewer_role_name: str = "viewer"
    #: Per-tenant limits: accounts not disconnected, validations a minute, crawl requests an hour
    #: per account.
    max_accounts_per_tenant: int = 500
    validations_per_minute: int = 30
    crawl_requests_per_hour: int = 12
    #: The platform account's outbound identity federation issuer (set by the deployment): what the
    #: tenants' GCP workload identity pools and Azure federated credentials trust.
    outbound_issuer: str = ""

    @property
    def secret_table(self) -> str:
        return self.secrets_table_name or self.table_name

    @property
    def platform_account_id(self) -> str:
        return self.platform_principal_arn.split(":")[4]

    @property
    def platform_partition(self) -> str:
        return self.platform_principal_arn.split(":")[1]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env.get("TABLE_NAME", "skylight"),
        platform_principal_arn=env.get(
            "PLATFORM_PRINCIPAL_ARN", "arn:aws:iam::123456789012:role/skylight-platform-principal"
        ),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        state_machine_arn=env.get("STATE_MACHINE_ARN", ""),
        schedule_group_name=env.get("SCHEDULE_GROUP_NAME", "skylight"),
        scheduler_role_arn=env.get("SCHEDULER_ROLE_ARN", ""),
        tenant_claim=env.get("TENANT_CLAIM", "tenant_id"),
        roles_claim=env.get("ROLES_CLAIM", "roles"),
        retention_days=int(env.get("RETENTION_DAYS", "30")),
        onboarding_template_url=env.get("ONBOARDING_TEMPLATE_URL", ""),
        vault_key_id=env.get("VAULT_KEY_ID", "alias/skylight-vault"),
        secrets_table_name=env.get("SECRETS_TABLE_NAME", ""),
        cursor_key_id=env.get("CURSOR_KEY_ID", ""),
        outbound_issuer=env.get("OUTBOUND_ISSUER", ""),
        credential_warn_days=int(env.get("CREDENTIAL_WARN_DAYS", "60")),
        credential_rotate_days=int(env.get("CREDENTIAL_ROTATE_DAYS", "90")),
        admin_role_name=env.get("ADMIN_ROLE_NAME", "admin"),
        viewer_role_name=env.get("VIEWER_ROLE_NAME", "viewer"),
        max_accounts_per_tenant=int(env.get("MAX_ACCOUNTS_PER_TENANT", "500")),
        validations_per_minute=int(env.get("VALIDATIONS_PER_MINUTE", "30")),
        crawl_requests_per_hour=int(env.get("CRAWL_REQUESTS_PER_HOUR", "12")),
    )
