"""EC2 resource modules against the emulator: ARNs, names, attributes, tags, pages, ownership."""

from __future__ import annotations

from moto.ec2.models import ec2_backends

from tests.integration.resources import builders as b

EAST, WEST = "us-east-1", "eu-west-1"


def arn(region: str, resource: str) -> str:
    return f"arn:aws:ec2:{region}:{b.ACCOUNT}:{resource}"


def test_instances_leave_out_terminated_ones() -> None:
    ec2 = b.client("ec2")
    image_id = b.image(EAST, "base")
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=image_id, MinCount=2, MaxCount=2)["Instances"]]
    ec2.terminate_instances(InstanceIds=ids[:1])

    resources, calls = b.listed("aws.ec2.instance")

    assert [r.id for r in resources] == [arn(EAST, f"instance/{ids[1]}")]
    assert resources[0].attributes["state"] == "running"
    [params] = calls.params("DescribeInstances")
    assert params["MaxResults"] == 1000
    assert "terminated" not in params["Filters"][0]["Values"]


def test_volumes_of_the_region_with_their_tags() -> None:
    east, west = b.volume(EAST, "data", size=8), b.volume(WEST, "logs", size=20)

    resources, calls = b.listed("aws.ec2.volume")
    [west_volume], _ = b.listed("aws.ec2.volume", WEST)

    [volume] = resources
    assert volume.id == arn(EAST, f"volume/{east}")
    assert (volume.type, volume.region, volume.name) == ("aws.ec2.volume", EAST, "data")
    assert volume.tags == {"Name": "data", "team": "storage"}
    assert volume.attributes["size_gib"] == 8
    assert volume.attributes["volume_type"] == "gp3"
    assert volume.attributes["encrypted"] is True
    assert volume.attributes["state"] == "available"
    assert volume.attributes["availability_zone"] == "us-east-1a"
    assert volume.attributes["created_at"].startswith("20")
    assert (west_volume.id, west_volume.region) == (arn(WEST, f"volume/{west}"), WEST)
    # moto answers every volume at once; the call still asks for EC2's largest page.
    assert calls.params("DescribeVolumes") == [{"MaxResults": 1000}]


def test_snapshots_owned_by_the_account() -> None:
    snapshot_id = b.snapshot(EAST, "backup")

    [snapshot], calls = b.listed("aws.ec2.snapshot")

    assert snapshot.id == f"arn:aws:ec2:{EAST}::snapshot/{snapshot_id}"  # no account, as AWS writes it
    assert snapshot.name == "backup"
    assert snapshot.attributes["volume_size_gib"] == 8
    assert snapshot.attributes["description"] == "nightly"
    assert snapshot.attributes["started_at"].startswith("20")
    # moto ignores OwnerIds (it lists whatever its account holds): the request is what is checked.
    assert calls.params("DescribeSnapshots") == [{"OwnerIds": ["self"], "MaxResults": 1000}]


def test_images_owned_by_the_account_only() -> None:
    own = b.image(EAST, "golden")
    foreign = b.image(EAST, "marketplace")
    ec2_backends[b.ACCOUNT][EAST].amis[foreign].owner_id = "999999999999"
    b.client("ec2").modify_image_attribute(ImageId=foreign, LaunchPermission={"Add": [{"Group": "all"}]})

    [image], calls = b.listed("aws.ec2.image")

    assert image.id == f"arn:aws:ec2:{EAST}::image/{own}"  # no account, as AWS writes it
    assert image.name == "golden"
    assert image.tags == {"team": "platform"}
    assert image.attributes["state"] == "available"
    assert calls.params("DescribeImages")[0]["Owners"] == ["self"]


def test_vpcs_including_the_default_one() -> None:
    vpc_id = b.vpc(EAST, "main", "10.9.0.0/16")

    resources, calls = b.listed("aws.ec2.vpc")

    main = b.by_name(resources)["main"]
    assert main.id == arn(EAST, f"vpc/{vpc_id}")
    assert main.attributes["cidr_block"] == "10.9.0.0/16"
    assert main.attributes["is_default"] is False
    assert main.tags == {"Name": "main", "env": "test"}
    assert [r.attributes["is_default"] for r in resources].count(True) == 1
    assert calls.params("DescribeVpcs") == [{"MaxResults": 1000}]


def test_security_groups_named_by_their_group_name() -> None:
    vpc_id = b.vpc(EAST, "main")
    group_id = b.security_group(EAST, "web", vpc_id)

    resources, calls = b.listed("aws.ec2.security_group")

    web = b.by_name(resources)["web"]
    assert web.id == arn(EAST, f"security-group/{group_id}")
    assert web.attributes["vpc_id"] == vpc_id
    assert web.attributes["description"] == "web group"
    assert web.attributes["outbound_rules"] == 1
    assert web.tags == {"env": "test"}
    assert calls.params("DescribeSecurityGroups") == [{"MaxResults": 1000}]


def test_elastic_ips_in_one_call() -> None:
    address = b.elastic_ip(EAST, "egress")

    [resource], calls = b.listed("aws.ec2.elastic_ip")

    assert resource.id == arn(EAST, f"elastic-ip/{address['AllocationId']}")
    assert resource.name == "egress"
    assert resource.attributes["public_ip"] == address["PublicIp"]
    assert resource.attributes["associated"] is False
    assert calls.names() == ["DescribeAddresses"]
