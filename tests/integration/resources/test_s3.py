"""aws.s3.bucket against the emulator: one listing for the whole account."""

from __future__ import annotations

from skylight.providers.aws.resources import Location
from tests.integration.resources import builders as b


def test_buckets_of_every_region_from_one_listing() -> None:
    b.bucket("us-east-1", "east-bucket")
    b.bucket("eu-west-1", "west-bucket")

    resources, calls = b.listed("aws.s3.bucket")

    assert {r.name: r.id for r in resources} == {
        "east-bucket": "arn:aws:s3:::east-bucket",
        "west-bucket": "arn:aws:s3:::west-bucket",
    }
    assert all(r.attributes["created_at"] for r in resources)
    assert calls.made == [("ListBuckets", {"MaxBuckets": 10000})]


def test_a_bucket_is_placed_in_the_region_s3_answers() -> None:
    # moto leaves BucketRegion out of ListBuckets; AWS answers it whenever a page size is asked.
    raw = {"Name": "logs", "BucketRegion": "eu-west-1"}

    resource = b.module("aws.s3.bucket").transform(raw, Location(b.ACCOUNT, "us-east-1", "aws"))

    assert (resource.region, resource.id) == ("eu-west-1", "arn:aws:s3:::logs")
    china = b.module("aws.s3.bucket").transform(raw, Location(b.ACCOUNT, "cn-north-1", "aws-cn"))
    assert china.id == "arn:aws-cn:s3:::logs"
