"""The Skylight stack: composes the constructs, wires them together, tags and checks the result."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from infra import nag
from infra.config import PROJECT_TAG, STACK_NAME, SkylightSettings, stack_environment
from infra.constructs.api import SkylightApi
from infra.constructs.cursor_key import CursorKey
from infra.constructs.data import AccountTable
from infra.constructs.encryption import PlatformKey
from infra.constructs.functions import ARCHITECTURE, RUNTIME, SkylightFunctions, reserved_concurrency
from infra.constructs.layer import DependencyLayer
from infra.constructs.operations import Operations, Watched
from infra.constructs.outbound_federation import OutboundFederation
from infra.constructs.platform_principal import PlatformPrincipal, platform_principal_arn
from infra.constructs.schedules import CrawlSchedules
from infra.constructs.vault import SecretVault
from infra.constructs.workflow import AccountWorkflow


class SkylightStack(cdk.Stack):
    """Everything Skylight runs on: API, functions, workflow, table, key and the platform principal."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: SkylightSettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        jwt_issuer = cdk.CfnParameter(
            self,
            "JwtIssuer",
            type="String",
            description="Issuer (iss) of the platform's access tokens, e.g. https://login.example.com/",
        )
        jwt_audience = cdk.CfnParameter(
            self,
            "JwtAudience",
            type="CommaDelimitedList",
            description="Accepted audiences (aud) of the platform's access tokens, comma separated",
        )

        self.key = key = PlatformKey(self, "Encryption")
        self.cursor_key = cursor_key = CursorKey(self, "CursorKey")
        self.data = data = AccountTable(self, "Data", key=key.key)
        self.vault = vault = SecretVault(self, "Vault", table_key=key.key)
        self.schedules = schedules = CrawlSchedules(self, "Schedules")
        self.layer = layer = DependencyLayer(self, "Dependencies", runtime=RUNTIME, architecture=ARCHITECTURE)

        self.functions = functions = SkylightFunctions(
            self,
            "Functions",
            layer=layer.layer,
            key=key,
            environment={
                "TABLE_NAME": data.table.table_name,
                "PLATFORM_PRINCIPAL_ARN": platform_principal_arn(self),
                "SCHEDULE_GROUP_NAME": schedules.group.schedule_group_name,
                "TENANT_CLAIM": settings.tenant_claim,
                "ROLES_CLAIM": settings.roles_claim,
                "ADMIN_ROLE_NAME": settings.admin_role_name,
                "VIEWER_ROLE_NAME": settings.viewer_role_name,
                "MAX_ACCOUNTS_PER_TENANT": str(settings.max_accounts_per_tenant),
                "VALIDATIONS_PER_MINUTE": str(settings.validations_per_minute),
                "CRAWL_REQUESTS_PER_HOUR": str(settings.crawl_requests_per_hour),
                "RETENTION_DAYS": str(settings.retention_days),
                "ONBOARDING_TEMPLATE_URL": settings.onboarding_template_url,
                "CREDENTIAL_WARN_DAYS": str(settings.credential_warn_days),
                "CREDENTIAL_ROTATE_DAYS": str(settings.credential_rotate_days),
                "POWERTOOLS_SERVICE_NAME": "skylight",
                "POWERTOOLS_METRICS_NAMESPACE": "Skylight",
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
            reserved_concurrency=reserved_concurrency(settings),
        )
        functions.grant_table_access(data.table)
        data.on_aged_out_accounts(functions.purge)
        # The API seals new credentials and opens them to re-test; the workflow's validation, plan and
        # region crawls open them (access-key accounts are crawled with them).
        vault.grant_encrypt(functions.api)
        for opener in (functions.api, functions.validate, functions.plan, functions.crawl_segments):
            vault.grant_decrypt(opener)
        # Only the API issues and reads pagination cursors.
        cursor_key.grant_sign(functions.api)

        # Only the functions that reach customer accounts may become the platform principal.
        self.principal = principal = PlatformPrincipal(
            self,
            "PlatformPrincipal",
            trusted=list(functions.customer_facing),
            allow_own_organization=settings.allow_own_organization,
        )

        self.workflow = workflow = AccountWorkflow(
            self,
            "Workflow",
            begin_function=functions.begin,
            validate_function=functions.validate,
            plan_function=functions.plan,
            crawl_segments_function=functions.crawl_segments,
            finish_function=functions.finish,
            key=key,
        )
        functions.api.add_environment("STATE_MACHINE_ARN", workflow.state_machine.state_machine_arn)
        functions.api.add_environment("SCHEDULER_ROLE_ARN", schedules.role.role_arn)
        # The issuer that tenants' GCP pools and Azure apps trust (the onboarding kits show it).
        federation = OutboundFederation(self, "OutboundFederation", function=functions.outbound_federation)
        functions.api.add_environment("OUTBOUND_ISSUER", federation.issuer)
        workflow.state_machine.grant_start_execution(functions.api)
        workflow.grant_stop(functions.api)
        schedules.target(workflow.state_machine)
        schedules.grant_manage(functions.api)

        self.api = api = SkylightApi(
            self,
            "Api",
            handler=functions.api,
            jwt_issuer=jwt_issuer.value_as_string,
            jwt_audience=jwt_audience.value_as_list,
            key=key,
            cors_allowed_origins=settings.cors_allowed_origins,
        )
        if data.purge_failures is None:
            raise ValueError("the purge's failure queue is made with the purge's event source")
        self.operations = Operations(
            self,
            "Operations",
            settings=settings,
            watched=Watched(
                http_api=api.http_api,
                functions=functions.all,
                state_machine=workflow.state_machine,
                table=data.table,
                purge_failures=data.purge_failures,
            ),
            key=key.key,
        )

        cdk.CfnOutput(
            self,
            "PlatformPrincipalArn",
            value=principal.role.role_arn,
            description="Customers trust this role (and only this one) in their cross-account roles",
        )
        cdk.CfnOutput(self, "ApiUrl", value=api.url, description="Base URL of the HTTP API")
        cdk.CfnOutput(self, "TableName", value=data.table.table_name)
        cdk.CfnOutput(self, "StateMachineArn", value=workflow.state_machine.state_machine_arn)


def add_skylight(app: cdk.App) -> SkylightStack:
    """Add the Skylight stack to `app`, tagged, with the cdk-nag checks registered on the app."""
    stack = SkylightStack(
        app,
        STACK_NAME,
        settings=SkylightSettings.from_context(app),
        env=stack_environment(app),
        description="Skylight: tenants connect their cloud accounts through roles or access keys",
        # With @aws-cdk/core:explicitStackTags, stack tags are set here (CloudFormation then
        # propagates them to every resource that supports tags).
        tags={"project": PROJECT_TAG},
    )
    nag.add_checks(app)
    return stack
