"""Payloads that cross Step Functions states: identifiers and outcomes only, never secrets or lists."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AccountWorkflowInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant_id: str = Field(min_length=1, max_length=128)
    account_id: str = Field(min_length=1, max_length=64)
    trigger: str = "manual"


class ConnectOutput(AccountWorkflowInput):
    provider: str


class ValidateOutput(BaseModel):
    tenant_id: str
    account_id: str
    result: str
    status: str
