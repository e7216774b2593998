"""What crosses the state machine's states: a batch of segments is checked before anything is called."""

import pytest
from pydantic import ValidationError

from skylight.models.workflow import MAX_SEGMENTS_PER_BATCH, PlanOutput, SegmentBatchInput

IDS = {"tenant_id": "tenant-a", "account_id": "acc-1", "crawl_id": "crawl-1"}


def test_a_batch_names_its_segments_and_ignores_what_the_state_adds() -> None:
    batch = SegmentBatchInput.model_validate(IDS | {"segments": ["us-east-1", "global"], "plan": {"x": 1}})

    assert batch.segments == ["us-east-1", "global"]
    assert PlanOutput(batches=[["us-east-1"], ["eu-west-1", "sa-east-1"]]).model_dump() == {
        "batches": [["us-east-1"], ["eu-west-1", "sa-east-1"]]
    }


def test_a_batch_from_an_execution_started_before_segments_were_named_still_reads() -> None:
    batch = SegmentBatchInput.model_validate(IDS | {"regions": ["eu-west-1"]})

    assert batch.segments == ["eu-west-1"]


@pytest.mark.parametrize(
    "segments",
    [
        [],
        ["us-east-1", "us-east-1"],
        [""],
        ["x" * 33],
        [f"r-{n}" for n in range(MAX_SEGMENTS_PER_BATCH + 1)],
        "us-east-1",
    ],
)
def test_an_empty_repeated_oversized_or_malformed_batch_is_refused(segments: object) -> None:
    with pytest.raises(ValidationError):
        SegmentBatchInput.model_validate(IDS | {"segments": segments})


def test_a_single_region_payload_of_the_old_shape_is_refused() -> None:
    with pytest.raises(ValidationError):
        SegmentBatchInput.model_validate(IDS | {"region": "us-east-1"})


def test_begin_gets_the_workflow_input_and_its_executions_arn():
    from skylight.models.workflow import BeginInput

    arn = "arn:aws:states:us-east-1:123456789012:execution:Skylight-Workflow:acct-manual-1"
    begin = BeginInput.model_validate(
        {"workflow": {"tenant_id": "t", "account_id": "a", "trigger": "schedule"}, "execution_arn": arn}
    )
    assert (begin.workflow.account_id, begin.execution_arn) == ("a", arn)
    with pytest.raises(ValueError):
        BeginInput.model_validate({"workflow": {"tenant_id": "t", "account_id": "a"}, "execution_arn": "x"})
    with pytest.raises(ValueError):
        BeginInput.model_validate({"tenant_id": "t", "account_id": "a"})  # the bare input is not it
