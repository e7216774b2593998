"""EC2 listings carry each resource's own tags, read from its entry (moto alone scans the region's)."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import Aws


def _tags(resource: dict[str, object]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags", [])}  # type: ignore[attr-defined]


def test_each_resource_lists_exactly_its_own_tags_in_the_order_they_were_added(aws: Aws) -> None:
    ec2 = aws.client("ec2")
    tagged = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a")["VolumeId"]
    untagged = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a")["VolumeId"]
    ec2.create_tags(
        Resources=[tagged], Tags=[{"Key": "team", "Value": "blue"}, {"Key": "Name", "Value": "data"}]
    )
    snapshot = ec2.create_snapshot(VolumeId=tagged)["SnapshotId"]
    ec2.create_tags(Resources=[snapshot], Tags=[{"Key": "backup", "Value": "daily"}])

    volumes = {v["VolumeId"]: v for v in ec2.describe_volumes(VolumeIds=[tagged, untagged])["Volumes"]}
    assert [t["Key"] for t in volumes[tagged]["Tags"]] == ["team", "Name"]
    assert _tags(volumes[tagged]) == {"team": "blue", "Name": "data"}
    assert _tags(volumes[untagged]) == {}
    (listed,) = ec2.describe_snapshots(SnapshotIds=[snapshot])["Snapshots"]
    assert _tags(listed) == {"backup": "daily"}
    # The same answer DescribeTags gives for that resource.
    described = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [tagged]}])["Tags"]
    assert {t["Key"]: t["Value"] for t in described} == _tags(volumes[tagged])
    assert {t["ResourceType"] for t in described} == {"volume"}


def test_removed_tags_are_gone_from_the_listing(aws: Aws) -> None:
    ec2 = aws.client("ec2")
    volume = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a")["VolumeId"]
    ec2.create_tags(Resources=[volume], Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ec2.delete_tags(Resources=[volume], Tags=[{"Key": "a"}])
    (listed,) = ec2.describe_volumes(VolumeIds=[volume])["Volumes"]
    assert _tags(listed) == {"b": "2"}


def test_rendering_a_listing_never_scans_the_region_s_tags(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's scan per resource made a listing cost the square of the region's resources."""
    from moto.ec2.models.tags import TagBackend

    ec2 = aws.client("ec2")
    ids = [ec2.create_volume(Size=8, AvailabilityZone="us-east-1a")["VolumeId"] for _ in range(5)]
    ec2.create_tags(Resources=ids, Tags=[{"Key": "k", "Value": "v"}])
    scans: list[object] = []
    original = TagBackend.describe_tags

    def counted(self: TagBackend, filters: object = None) -> object:
        scans.append(filters)
        return original(self, filters)  # type: ignore[arg-type]

    monkeypatch.setattr(TagBackend, "describe_tags", counted)
    volumes = ec2.describe_volumes(VolumeIds=ids)["Volumes"]
    assert [_tags(v) for v in volumes] == [{"k": "v"}] * 5
    assert scans == []
