"""Real resources in the emulated account, one builder a type, shared by the resource tests."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from skylight.gateways.sessions import shared_client
from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceModule, resource_modules

ACCOUNT = "123456789012"  # the emulator's account for its dummy credentials


@cache
def client(service: str, region: str = "us-east-1") -> Any:
    """A client of the emulated account, kept for the test (the fixture forgets them after each)."""
    # From the process's shared session, as the crawler's clients are (its parsers, its models).
    return shared_client(service, region_name=region)


def module(type_name: str) -> ResourceModule:
    return next(m for m in resource_modules() if m.type.name == type_name)


@dataclass
class Calls:
    """The operations a client made, with the parameters the caller gave them."""

    made: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.made.append((model.name, dict(params)))

    def names(self) -> list[str]:
        return [name for name, _ in self.made]

    def count(self, operation: str) -> int:
        return self.names().count(operation)

    def params(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.made if name == operation]


def recorded(service: str, region: str = "us-east-1") -> tuple[Any, Calls]:
    """A client and the record of the calls it makes."""
    recorded_client, calls = shared_client(service, region_name=region), Calls()
    recorded_client.meta.events.register("before-parameter-build", calls.record)
    return recorded_client, calls


def listed(type_name: str, region: str = "us-east-1") -> tuple[list[Resource], Calls]:
    """Runs a module as the crawler would: its fetch with a real client, then its transform."""
    resource_module = module(type_name)
    listing_client, calls = recorded(resource_module.type.service, region)
    location = Location(account_id=ACCOUNT, region=region)
    resources = [resource_module.transform(raw, location) for raw in resource_module.fetch(listing_client)]
    return resources, calls


def listed_over_two_pages(
    type_name: str, region: str, build: Callable[[str, str], Any], operation: str, limit_key: str, page: int
) -> tuple[list[Resource], Calls]:
    """Builds one resource more than a page holds (where moto honours the page size), lists them, and
    checks that the module asked for both pages at the largest size."""
    for i in range(page + 1):
        build(region, f"{type_name.rsplit('.', 1)[-1].replace('_', '-')}-{i:03d}")
    resources, calls = listed(type_name, region)
    assert len({resource.id for resource in resources}) == page + 1
    assert [params.get(limit_key) for params in calls.params(operation)] == [page, page]
    return resources, calls


def by_name(resources: list[Resource]) -> dict[str | None, Resource]:
    return {resource.name: resource for resource in resources}


def tag_specs(kind: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def pairs(tags: dict[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in tags.items()]


# EC2


def volume(region: str, name: str, size: int = 8) -> str:
    return str(
        client("ec2", region).create_volume(
            Size=size,
            AvailabilityZone=f"{region}a",
            VolumeType="gp3",
            Encrypted=True,
            TagSpecifications=tag_specs("volume", {"Name": name, "team": "storage"}),
        )["VolumeId"]
    )


def snapshot(region: str, name: str) -> str:
    ec2 = client("ec2", region)
    return str(
        ec2.create_snapshot(
            VolumeId=volume(region, f"{name}-source"),
            Description="nightly",
            TagSpecifications=tag_specs("snapshot", {"Name": name}),
        )["SnapshotId"]
    )


def image(region: str, name: str) -> str:
    ec2 = client("ec2", region)
    image_id = str(ec2.register_image(Name=name, Description="golden")["ImageId"])
    ec2.create_tags(Resources=[image_id], Tags=[{"Key": "team", "Value": "platform"}])
    return image_id


def vpc(region: str, name: str, cidr: str = "10.1.0.0/16") -> str:
    return str(
        client("ec2", region).create_vpc(
            CidrBlock=cidr, TagSpecifications=tag_specs("vpc", {"Name": name, "env": "test"})
        )["Vpc"]["VpcId"]
    )


def security_group(region: str, name: str, vpc_id: str) -> str:
    return str(
        client("ec2", region).create_security_group(
            GroupName=name,
            Description=f"{name} group",
            VpcId=vpc_id,
            TagSpecifications=tag_specs("security-group", {"env": "test"}),
        )["GroupId"]
    )


def elastic_ip(region: str, name: str) -> dict[str, Any]:
    answer: dict[str, Any] = client("ec2", region).allocate_address(
        Domain="vpc", TagSpecifications=tag_specs("elastic-ip", {"Name": name})
    )
    return answer


def subnets(region: str, vpc_id: str) -> list[str]:
    ec2 = client("ec2", region)
    return [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{region}{zone}")[
            "Subnet"
        ]["SubnetId"]
        for i, zone in enumerate("ab")
    ]


# Other services


def auto_scaling_group(region: str, name: str, template: str = "web") -> None:
    ec2, autoscaling = client("ec2", region), client("autoscaling", region)
    templates = ec2.describe_launch_templates(
        Filters=[{"Name": "launch-template-name", "Values": [template]}]
    )["LaunchTemplates"]
    if not templates:
        ec2.create_launch_template(
            LaunchTemplateName=template, LaunchTemplateData={"InstanceType": "t3.micro"}
        )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": template},
        MinSize=0,
        MaxSize=3,
        DesiredCapacity=0,
        AvailabilityZones=[f"{region}a"],
        Tags=[{"Key": "team", "Value": "web", "PropagateAtLaunch": True}],
    )


def bucket(region: str, name: str) -> None:
    configuration = (
        {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    client("s3", region).create_bucket(Bucket=name, **configuration)


def db_instance(region: str, name: str, **extra: Any) -> None:
    client("rds", region).create_db_instance(
        DBInstanceIdentifier=name,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="password-1234",
        StorageEncrypted=True,
        Tags=pairs({"team": "data"}),
        **extra,
    )


def db_cluster(region: str, name: str) -> None:
    client("rds", region).create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="password-1234",
        StorageEncrypted=True,
        Tags=pairs({"team": "data"}),
    )


@cache
def _function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def function_role() -> str:
    iam = client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    return str(
        iam.create_role(RoleName="function", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    )


def function(region: str, name: str, role_arn: str) -> None:
    client("lambda", region).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="handler.handler",
        Code={"ZipFile": _function_zip()},
        MemorySize=256,
        Timeout=30,
        Tags={"team": "api"},
    )


def ecs_cluster(region: str, name: str) -> str:
    return str(
        client("ecs", region).create_cluster(clusterName=name, tags=pairs({"team": "ops"}, "key", "value"))[
            "cluster"
        ]["clusterArn"]
    )


def ecs_services(region: str, cluster: str, count: int) -> None:
    ecs = client("ecs", region)
    definition = ecs.register_task_definition(
        family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    for i in range(count):
        ecs.create_service(
            cluster=cluster,
            serviceName=f"{cluster.rsplit('/', 1)[-1]}-service-{i:02d}",
            taskDefinition=definition,
            desiredCount=0,
            tags=pairs({"team": "ops"}, "key", "value"),
        )


def eks_cluster(region: str, name: str) -> None:
    client("eks", region).create_cluster(
        name=name,
        version="1.31",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
        resourcesVpcConfig={"subnetIds": []},
        tags={"team": "k8s"},
    )


def load_balancers(region: str, count: int, prefix: str = "lb") -> list[str]:
    subnet_ids = subnets(region, vpc(region, f"{prefix}-vpc"))
    elbv2 = client("elbv2", region)
    return [
        elbv2.create_load_balancer(
            Name=f"{prefix}-{i:03d}", Subnets=subnet_ids, Scheme="internal", Tags=pairs({"index": str(i)})
        )["LoadBalancers"][0]["LoadBalancerArn"]
        for i in range(count)
    ]


def table(region: str, name: str) -> None:
    client("dynamodb", region).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def every_type(region: str = "us-east-1") -> None:
    """At least one resource of every type in `region`, so that every module makes all its calls."""
    volume(region, "data")
    snapshot(region, "backup")
    client("ec2", region).run_instances(ImageId=image(region, "golden"), MinCount=1, MaxCount=1)
    vpc_id = vpc(region, "main")
    security_group(region, "web", vpc_id)
    elastic_ip(region, "ip")
    auto_scaling_group(region, "web")
    bucket(region, "every-type-bucket")
    db_instance(region, "db")
    db_cluster(region, "cluster")
    function(region, "api", function_role())
    cluster = ecs_cluster(region, "apps")
    ecs_services(region, cluster, 1)
    eks_cluster(region, "k8s")
    load_balancers(region, 1)
    table(region, "orders")
