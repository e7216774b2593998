"""Payloads that cross Step Functions states: identifiers and counts only, never secrets or lists.

The execution's state is the input plus what each state adds under its own key:
`{"tenant_id", "account_id", "trigger", "crawl_id", "validation": {...}, "plan": {...}, "failure"}`.
"""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator


class AccountWorkflowInput(BaseModel):
    """How an execution starts: from the API (connect, manual crawl) or from the account's schedule."""

    model_config = ConfigDict(extra="ignore")

    tenant_id: str = Field(min_length=1, max_length=128)
    account_id: str = Field(min_length=1, max_length=64)
    trigger: str = Field("manual", max_length=32)
    crawl_id: str | None = Field(None, max_length=64)


class BeginInput(BaseModel):
    """What the first state gets: the execution's input and the execution's own ARN (from the
    context object), so that a disconnect can stop the execution running the account's crawl."""

    workflow: AccountWorkflowInput
    execution_arn: str | None = Field(None, max_length=2048, pattern=r"^arn:aws[a-z-]*:states:")


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


# The most segments one CrawlSegmentBatch invocation takes (Plan packs small ones, see `segment_batches`).
MAX_SEGMENTS_PER_BATCH = 32


class PlanOutput(BaseModel):
    """The Map's items: batches of the plan's segments, each crawled by one invocation (most hold one)."""

    batches: list[list[str]]


class SegmentBatchInput(CrawlInput):
    # `regions`: what executions started before segments were named so still carry.
    segments: list[str] = Field(
        min_length=1, max_length=MAX_SEGMENTS_PER_BATCH, validation_alias=AliasChoices("segments", "regions")
    )

    @field_validator("segments")
    @classmethod
    def _named_segments(cls, segments: list[str]) -> list[str]:
        if any(not 1 <= len(segment) <= 32 for segment in segments) or len(set(segments)) != len(segments):
            raise ValueError("segments must be distinct names of 1 to 32 characters")
        return segments


class SegmentOutput(BaseModel):
    segment: str
    status: str
    resources: int


class SegmentBatchOutput(BaseModel):
    segments: list[SegmentOutput]


class FinishInput(CrawlInput):
    failure: str | None = Field(None, max_length=64)
    #: The account's provider, as Begin put it in the state (absent when Begin itself failed).
    provider: str | None = Field(None, pattern=r"^[a-z][a-z0-9]{1,15}$")


class FinishOutput(BaseModel):
    crawl_id: str
    status: str
    resources: int
