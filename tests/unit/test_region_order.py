"""The plan's regions: most items recorded first, ties and unknowns kept in order; small ones batched."""

from skylight.logic.crawls import (
    SMALL_SEGMENT_ITEMS,
    SMALL_SEGMENTS_PER_BATCH,
    largest_first,
    segment_batches,
)


def test_regions_are_ordered_by_the_items_recorded_and_ties_keep_their_order() -> None:
    recorded = {
        "eu-west-1": {"aws.ec2.instance": "40:abc", "aws.lambda.function": "500:def pages=x"},
        "us-east-1": {"aws.ec2.snapshot": "900:123"},
        "ap-south-1": {"aws.ec2.vpc": "1:aaa"},
        "ca-central-1": {"aws.ec2.vpc": "1:bbb"},
    }
    regions = ["global", "ap-south-1", "ca-central-1", "eu-west-1", "us-east-1", "sa-east-1"]

    assert largest_first(regions, recorded) == [
        "us-east-1",
        "eu-west-1",
        "ap-south-1",
        "ca-central-1",
        "global",
        "sa-east-1",
    ]
    assert largest_first(regions, {}) == regions


def _held(items: int) -> dict[str, str]:
    return {"aws.ec2.vpc": f"{items}:digest"}


def test_small_regions_share_batches_and_large_or_unknown_ones_go_alone() -> None:
    regions = ["us-east-1", "eu-west-1", *(f"small-{n}" for n in range(10)), "never-crawled"]
    recorded = {"us-east-1": _held(5000), "eu-west-1": _held(SMALL_SEGMENT_ITEMS + 1)}
    recorded |= {f"small-{n}": _held(SMALL_SEGMENT_ITEMS - n) for n in range(10)}

    batches = segment_batches(regions, recorded)

    assert batches[:3] == [["us-east-1"], ["eu-west-1"], ["never-crawled"]]
    small = batches[3:]
    # Ten small regions need two batches of at most eight: five each, the largest spread over both.
    assert small == [[f"small-{n}" for n in range(0, 10, 2)], [f"small-{n}" for n in range(1, 10, 2)]]
    assert sorted(region for batch in batches for region in batch) == sorted(regions)


def test_batches_never_hold_more_than_their_most_and_a_first_crawl_has_one_region_each() -> None:
    regions = [f"r-{n}" for n in range(17)]
    batches = segment_batches(regions, {region: _held(0) for region in regions})

    assert [len(batch) for batch in batches] == [6, 6, 5]
    assert max(len(batch) for batch in batches) <= SMALL_SEGMENTS_PER_BATCH
    assert segment_batches(regions, {}) == [[region] for region in regions]
    assert segment_batches([], {}) == []
