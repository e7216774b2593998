"""The plan's order of regions: the most items recorded first, ties and unknowns as the provider said."""

from skylight.logic.crawls import largest_first


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
