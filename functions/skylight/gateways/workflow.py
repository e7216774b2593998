"""Starting the account workflow (Step Functions) behind an interface."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any, Protocol

from skylight.gateways.clients import FirstUseClient


class WorkflowStarter(Protocol):
    def start(self, tenant_id: str, account_id: str, trigger: str, crawl_id: str | None = None) -> str:
        """Start the account's workflow (adopting a crawl already begun); return the execution id."""
        ...

    def stop(self, execution_arn: str, cause: str) -> None:
        """Stop a running execution: no state starts after it (running tasks finish on their own)."""
        ...


class StepFunctionsWorkflowStarter:
    def __init__(self, state_machine_arn: str, region: str, client: Any = None) -> None:
        self._state_machine_arn = state_machine_arn
        self._region = region
        self._client = client

    # Created on first start: the workflow's own functions share this wiring but never start one.
    client = FirstUseClient("stepfunctions")

    def start(self, tenant_id: str, account_id: str, trigger: str, crawl_id: str | None = None) -> str:
        # Names are unique per state machine for 90 days; the suffix keeps repeated triggers apart.
        name = f"{account_id}-{trigger}-{int(time.time())}-{secrets.token_hex(3)}"[:80]
        payload = {"tenant_id": tenant_id, "account_id": account_id, "trigger": trigger}
        if crawl_id is not None:
            payload["crawl_id"] = crawl_id
        response = self.client.start_execution(
            stateMachineArn=self._state_machine_arn, name=name, input=json.dumps(payload)
        )
        return str(response["executionArn"])

    def stop(self, execution_arn: str, cause: str) -> None:
        try:
            self.client.stop_execution(executionArn=execution_arn, error="AccountDisconnected", cause=cause)
        except self.client.exceptions.ExecutionDoesNotExist:
            return  # it finished (and aged out) before it could be stopped: nothing runs
