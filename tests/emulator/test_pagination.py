"""Large listings answer page by page in the emulator, as AWS does (moto alone answers all at once)."""

from __future__ import annotations

import io
import json
import zipfile

from tests.emulator.conftest import Aws


def _pages(client: object, operation: str, key: str, size: int, **params: object) -> list[int]:
    paginator = client.get_paginator(operation)  # type: ignore[attr-defined]
    pages = paginator.paginate(**params, PaginationConfig={"PageSize": size})
    return [len(page[key]) for page in pages]


def test_ec2_listings_come_in_pages_of_the_size_asked_for(aws: Aws) -> None:
    ec2 = aws.client("ec2")
    volume = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a")["VolumeId"]
    for _ in range(11):
        ec2.create_volume(Size=8, AvailabilityZone="us-east-1a")
        ec2.create_snapshot(VolumeId=volume)
        ec2.create_security_group(GroupName=f"group-{_}", Description="paged")

    assert _pages(ec2, "describe_volumes", "Volumes", 5) == [5, 5, 2]
    assert _pages(ec2, "describe_snapshots", "Snapshots", 5, OwnerIds=["self"]) == [5, 5, 1]
    groups = _pages(ec2, "describe_security_groups", "SecurityGroups", 5)
    assert groups[:2] == [5, 5] and sum(groups) == 12  # the default VPC's group too
    # Every item exactly once across the pages.
    listed = [
        v["VolumeId"]
        for p in ec2.get_paginator("describe_volumes").paginate(MaxResults=5)
        for v in p["Volumes"]
    ]
    assert len(listed) == len(set(listed)) == 12
    # Without a page size, everything at once, as AWS answers an unpaginated call.
    assert len(ec2.describe_volumes()["Volumes"]) == 12


def test_list_functions_never_answers_more_than_fifty(aws: Aws) -> None:
    role = aws.client("iam").create_role(
        RoleName="paged-functions", AssumeRolePolicyDocument=json.dumps({"Statement": []})
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    lambda_ = aws.client("lambda")
    for i in range(53):
        lambda_.create_function(
            FunctionName=f"paged-{i:02d}",
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": code.getvalue()},
        )
    try:
        assert _pages(lambda_, "list_functions", "Functions", 1000) == [50, 3]
        assert len(lambda_.list_functions(MaxItems=10)["Functions"]) == 10
    finally:
        for i in range(53):
            lambda_.delete_function(FunctionName=f"paged-{i:02d}")
