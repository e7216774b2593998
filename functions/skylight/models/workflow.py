"""Payloads that cross Step Functions states: identifiers and counts only, never secrets or lists.

The execution's state is the input plus what each state adds under its own key:
`{"tenant_id", "account_id", "trigger", "crawl_id", "validation": {...}, "plan": {...}, "failure"}`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AccountWorkflowInput(BaseModel):
    """How an execution starts: from the API (connect, manual crawl) or from the account's schedule."""

    model_config = ConfigDict(extra="ignore")

    tenant_id: str = Field(min_length=1, max_length=128)
    account_id: str = Field(min_length=1, max_length=64)
    trigger: str = Field("manual", max_length=32)
    crawl_id: str | None = Field(None, max_length=64)


class BeginOutput(BaseModel):
    tenant_id: str
    account_id: str
    trigger: str
    crawl_id: str
    provider: str
    already_running: bool = Field(description="Another crawl holds the account: this execution ends")


class CrawlInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant_id: str = Field(min_length=1, max_length=128)
    account_id: str = Field(min_length=1, max_length=64)
    crawl_id: str = Field(min_length=1, max_length=64)


class ValidateOutput(BaseModel):
    tenant_id: str
    account_id: str
    result: str
    status: str


class PlanOutput(BaseModel):
    regions: list[str]


class RegionInput(CrawlInput):
    region: str = Field(min_length=1, max_length=32)


class RegionOutput(BaseModel):
    region: str
    status: str
    resources: int


class FinishInput(CrawlInput):
    failure: str | None = Field(None, max_length=64)


class FinishOutput(BaseModel):
    crawl_id: str
    status: str
    resources: int
