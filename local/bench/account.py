"""The synthetic account the crawl benchmark crawls, and Skylight's side of it in the emulator.

17 enabled regions; most resources in us-east-1 and eu-west-1 (about 3,000 snapshots, 1,000 Lambda
functions, 1,500 instances with their root volumes, ...), a few in every other region. Bulk kinds
are written straight into moto's backends to keep the set-up short; crawls only ever go over HTTP.
"""

from __future__ import annotations

import base64
import io
import json
import random
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import boto3

from infra.platform_policy import platform_principal_policy
from local.bench import PLATFORM_PRINCIPAL_ARN, REGION, TABLE, TENANT
from local.bench.workers import Latency, build_services

# Where most of the account lives, and each one's share of it.
MAIN_REGIONS = {"us-east-1": 0.6, "eu-west-1": 0.4}
SMALL_EXTRA_REGION = "us-west-2"
PLATFORM_ACCOUNT = PLATFORM_PRINCIPAL_ARN.split(":")[4]
FUNCTIONS_ROLE_NAME = "skylight-bench-functions"
FUNCTIONS_ROLE_ARN = f"arn:aws:iam::{PLATFORM_ACCOUNT}:role/{FUNCTIONS_ROLE_NAME}"
LAMBDA_SERVICE = {"Service": "lambda.amazonaws.com"}


@dataclass(frozen=True)
class Mix:
    """How many resources of each kind the account holds in its main regions (account-wide)."""

    snapshots: int = 3000
    volumes: int = 1000  # plus one root volume per instance
    instances: int = 1500
    functions: int = 1000
    security_groups: int = 800
    vpcs: int = 60  # each with its default security group
    buckets: int = 300
    tables: int = 30
    db_instances: int = 100
    db_clusters: int = 20
    addresses: int = 80
    images: int = 80
    auto_scaling_groups: int = 50
    load_balancers: int = 30
    ecs_clusters: int = 6
    ecs_services: int = 60
    eks_clusters: int = 6

    def scaled(self, factor: float) -> Mix:
        counts = {name: max(1, round(value * factor)) for name, value in asdict(self).items()}
        return Mix(**counts)

    @property
    def total(self) -> int:
        # Each instance brings its root volume, each VPC its default security group.
        return sum(asdict(self).values()) + self.instances + self.vpcs


def _sprinkle() -> Mix:
    """A few of the cheap kinds in every other region, as in a real account."""
    zero = {name: 0 for name in asdict(Mix())}
    return Mix(**{**zero, "instances": 1, "snapshots": 2, "functions": 1, "security_groups": 1, "volumes": 1})


def mix_for(resources: int) -> Mix:
    """The main regions' mix for about `resources` resources in all (defaults and extras included)."""
    return Mix().scaled(resources / Mix().total)


def share(total: int, region: str) -> int:
    """A main region's part of `total` (the first region takes the remainder)."""
    regions = list(MAIN_REGIONS)
    if region == regions[0]:
        return total - sum(round(total * MAIN_REGIONS[other]) for other in regions[1:])
    return round(total * MAIN_REGIONS[region])


@dataclass(frozen=True)
class Options:
    resources: int
    latency_ms: float
    small: bool

    @property
    def latency_s(self) -> float:
        return self.latency_ms / 1000

    def extra_regions(self) -> list[str]:
        from local.emulator.regions import DEFAULT_ENABLED

        if self.small:
            return [SMALL_EXTRA_REGION]
        return sorted(DEFAULT_ENABLED - set(MAIN_REGIONS))


class Platform:
    """Skylight's side in the emulator: the table, the platform principal, the tenant's account."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.services = build_services(Latency(0))

    def create(self) -> None:
        self.emulator.client("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        # The functions' role (one here: the crawl's tasks and the connect share it) and the platform
        # principal it assumes, with the deployed stack's policy: no root ever assumes a role.
        iam = self.emulator.client("iam")
        iam.create_role(RoleName=FUNCTIONS_ROLE_NAME, AssumeRolePolicyDocument=_trusting(LAMBDA_SERVICE))
        iam.put_role_policy(
            RoleName=FUNCTIONS_ROLE_NAME, PolicyName="grants", PolicyDocument=json.dumps(_functions_policy())
        )
        principal = PLATFORM_PRINCIPAL_ARN.rsplit("/", 1)[1]
        iam.create_role(RoleName=principal, AssumeRolePolicyDocument=_trusting({"AWS": FUNCTIONS_ROLE_ARN}))
        policy = platform_principal_policy("aws", PLATFORM_ACCOUNT, allow_own_organization=False)
        iam.put_role_policy(RoleName=principal, PolicyName="assume", PolicyDocument=json.dumps(policy))

    def functions_environment(self) -> dict[str, str]:
        """The functions' credentials, as Lambda hands them over: a session of their role."""
        from local.emulator.server import lambda_execution_credentials

        session = lambda_execution_credentials(FUNCTIONS_ROLE_ARN, "skylight-bench")
        return {
            "AWS_ACCESS_KEY_ID": session["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": session["SecretAccessKey"],
            "AWS_SESSION_TOKEN": session["SessionToken"],
        }

    def connect(self, account_id: str) -> str:
        """The customer creates the role from the onboarding kit; the tenant connects it. Its id."""
        from skylight.logic.accounts import connect_account
        from skylight.logic.onboarding import onboarding_kit
        from skylight.models.domain import Access, Caller

        caller = Caller(tenant_id=TENANT, subject="bench", roles=frozenset({"admin"}))
        kit = onboarding_kit(self.services, caller, "aws")
        iam = self.emulator.client("iam", account_id)
        role = iam.create_role(
            RoleName="SkylightAccess", AssumeRolePolicyDocument=json.dumps(kit["trust_policy"])
        )
        iam.put_role_policy(
            RoleName="SkylightAccess",
            PolicyName="skylight-read",
            PolicyDocument=json.dumps(kit["permission_policies"]["read_only"]["policy"]),
        )
        credentials = {"type": "role", "role_arn": role["Role"]["Arn"]}
        account = connect_account(self.services, caller, "aws", "Benchmark", Access.READ_ONLY, credentials)
        return str(account.id)


def _functions_policy() -> dict[str, Any]:
    table = f"arn:aws:dynamodb:{REGION}:{PLATFORM_ACCOUNT}:table/{TABLE}"
    statements = [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": [table, f"{table}/index/*"]},
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": PLATFORM_PRINCIPAL_ARN},
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def _trusting(principal: dict[str, str]) -> str:
    """A role trust policy (as JSON) that lets `principal` assume the role."""
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _lambda_zip() -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return base64.b64encode(buffer.getvalue()).decode()


class CustomerAccount:
    """Fills the synthetic account: bulk kinds straight into moto's backends (set-up only, and fast),
    the rest through the emulator's API. The crawl itself only ever goes over HTTP."""

    def __init__(self, emulator: Any, account_id: str, seed: int = 7) -> None:
        self.emulator = emulator
        self.account_id = account_id
        self.random = random.Random(seed)
        self.created: Counter[str] = Counter()
        self._zip = _lambda_zip()
        self._session = boto3.Session()
        self._clients: dict[tuple[str, str], Any] = {}

    def ec2(self, region: str) -> Any:
        from moto.ec2.models import ec2_backends

        return ec2_backends[self.account_id][region]

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.emulator.client(service, self.account_id, region, session=self._session)
        return self._clients[key]

    def populate(self, regions: dict[str, Mix]) -> None:
        self.client("iam", REGION).create_role(
            RoleName="bench-function", AssumeRolePolicyDocument=_trusting({"Service": "lambda.amazonaws.com"})
        )
        for region, mix in regions.items():
            self._ec2(region, mix)
            self._functions(region, mix.functions)
            self._regional_services(region, mix)
        self._buckets(regions)

    def _ec2(self, region: str, mix: Mix) -> None:
        ec2 = self.ec2(region)
        for start in range(0, mix.instances, 25):
            self.client("ec2", region).run_instances(
                ImageId="ami-12c6146b",
                MinCount=min(25, mix.instances - start),
                MaxCount=min(25, mix.instances - start),
                InstanceType=self.random.choice(["t3.micro", "m6g.large", "c7g.xlarge"]),
                TagSpecifications=_tags("instance", {"Name": f"web-{start}", "team": "web"}),
            )
        volumes = [
            ec2.create_volume(
                size=self.random.choice([8, 20, 100]), zone_name=f"{region}a", volume_type="gp3"
            )
            for _ in range(mix.volumes)
        ]
        ec2.create_tags([volume.id for volume in volumes], {"team": "storage"})
        sources = volumes or list(ec2.volumes.values())
        snapshots = [
            ec2.create_snapshot(sources[i % len(sources)].id, f"nightly {i}") for i in range(mix.snapshots)
        ]
        for snapshot in snapshots:
            ec2.create_tags([snapshot.id], {"Name": f"backup-{snapshot.id[-6:]}", "retention": "30d"})
        for i in range(mix.vpcs):
            ec2.create_vpc(cidr_block=f"10.{i % 250}.0.0/16")
        for i in range(mix.security_groups):
            ec2.create_security_group(f"app-{i}", f"application group {i}", tags={"team": "web"})
        for _ in range(mix.addresses):
            ec2.allocate_address(domain="vpc")
        for i in range(mix.images):
            self.client("ec2", region).register_image(Name=f"golden-{i}", Description="golden image")

    def _functions(self, region: str, count: int) -> None:
        from moto.awslambda.utils import get_backend

        backend = get_backend(self.account_id, region)
        role = f"arn:aws:iam::{self.account_id}:role/bench-function"
        for i in range(count):
            backend.create_function(
                {
                    "FunctionName": f"fn-{region}-{i:04d}",
                    "Runtime": self.random.choice(["python3.12", "nodejs20.x", "java21"]),
                    "Role": role,
                    "Handler": "index.handler",
                    "Code": {"ZipFile": self._zip},
                    "MemorySize": self.random.choice([128, 256, 1024]),
                    "Timeout": 30,
                }
            )
        self.created["aws.lambda.function"] += count

    def _regional_services(self, region: str, mix: Mix) -> None:
        self._tables(region, mix.tables)
        self._databases(region, mix)
        vpc, subnets = self._network(region, mix) if _needs_network(mix) else ("", [])
        self._auto_scaling(region, mix.auto_scaling_groups)
        self._load_balancers(region, mix.load_balancers, subnets)
        self._containers(region, mix, vpc, subnets)

    def _tables(self, region: str, count: int) -> None:
        dynamodb = self.client("dynamodb", region)
        for i in range(count):
            dynamodb.create_table(
                TableName=f"orders-{i}",
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        self.created["aws.dynamodb.table"] += count

    def _databases(self, region: str, mix: Mix) -> None:
        rds = self.client("rds", region)
        for i in range(mix.db_instances):
            rds.create_db_instance(
                DBInstanceIdentifier=f"db-{i}",
                Engine="postgres",
                DBInstanceClass="db.t3.micro",
                AllocatedStorage=20,
                MasterUsername="admin",
                MasterUserPassword="password-1234",
                Tags=[{"Key": "team", "Value": "data"}],
            )
        for i in range(mix.db_clusters):
            rds.create_db_cluster(
                DBClusterIdentifier=f"cluster-{i}",
                Engine="aurora-postgresql",
                MasterUsername="admin",
                MasterUserPassword="password-1234",
            )
        self.created["aws.rds.db_instance"] += mix.db_instances
        self.created["aws.rds.db_cluster"] += mix.db_clusters

    def _network(self, region: str, mix: Mix) -> tuple[str, list[str]]:
        ec2 = self.client("ec2", region)
        vpc = ec2.create_vpc(CidrBlock="172.31.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"172.31.{i}.0/24", AvailabilityZone=f"{region}{zone}")[
                "Subnet"
            ]["SubnetId"]
            for i, zone in enumerate("ab")
        ]
        return vpc, subnets

    def _auto_scaling(self, region: str, count: int) -> None:
        if not count:
            return
        self.client("ec2", region).create_launch_template(
            LaunchTemplateName="web", LaunchTemplateData={"InstanceType": "t3.micro"}
        )
        autoscaling = self.client("autoscaling", region)
        for i in range(count):
            autoscaling.create_auto_scaling_group(
                AutoScalingGroupName=f"asg-{i}",
                LaunchTemplate={"LaunchTemplateName": "web"},
                MinSize=0,
                MaxSize=3,
                DesiredCapacity=0,
                AvailabilityZones=[f"{region}a"],
            )
        self.created["aws.autoscaling.group"] += count

    def _load_balancers(self, region: str, count: int, subnets: list[str]) -> None:
        elbv2 = self.client("elbv2", region)
        for i in range(count):
            elbv2.create_load_balancer(Name=f"lb-{i}", Subnets=subnets, Type="application")
        self.created["aws.elbv2.load_balancer"] += count

    def _containers(self, region: str, mix: Mix, vpc: str, subnets: list[str]) -> None:
        ecs, eks = self.client("ecs", region), self.client("eks", region)
        if mix.ecs_clusters:
            ecs.register_task_definition(
                family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}]
            )
        for c in range(mix.ecs_clusters):
            ecs.create_cluster(clusterName=f"ecs-{c}")
            for s in range(c, mix.ecs_services, mix.ecs_clusters):
                ecs.create_service(
                    cluster=f"ecs-{c}", serviceName=f"svc-{s}", taskDefinition="web", desiredCount=0
                )
        for i in range(mix.eks_clusters):
            eks.create_cluster(
                name=f"eks-{i}",
                roleArn=f"arn:aws:iam::{self.account_id}:role/eks",
                resourcesVpcConfig={"subnetIds": subnets},
            )
        self.created["aws.ecs.cluster"] += mix.ecs_clusters
        self.created["aws.ecs.service"] += mix.ecs_services
        self.created["aws.eks.cluster"] += mix.eks_clusters

    def _buckets(self, regions: dict[str, Mix]) -> None:
        for region, mix in regions.items():
            s3 = self.client("s3", region)
            location = (
                {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            )
            for i in range(mix.buckets):
                s3.create_bucket(Bucket=f"bench-{region}-{i}", **location)
            self.created["aws.s3.bucket"] += mix.buckets

    def expected(self, regions: Iterable[str]) -> Counter[str]:
        """What the account holds, by type: EC2 counted in moto (defaults, root volumes), the rest as made."""
        counts = Counter(self.created)
        for region in regions:
            ec2 = self.ec2(region)  # also creates the region's default VPC, as the crawl would
            counts["aws.ec2.instance"] += sum(len(r.instances) for r in ec2.reservations.values())
            counts["aws.ec2.volume"] += len(ec2.volumes)
            counts["aws.ec2.snapshot"] += len(ec2.snapshots)
            counts["aws.ec2.vpc"] += len(ec2.vpcs)
            counts["aws.ec2.security_group"] += sum(len(groups) for groups in ec2.groups.values())
            counts["aws.ec2.elastic_ip"] += len(ec2.addresses)
            counts["aws.ec2.image"] += len(ec2.amis)
        return Counter({name: count for name, count in counts.items() if count})

    def change(self, fraction: float, regions: Iterable[str]) -> int:
        """Tag, update or delete about `fraction` of the main regions' resources; how many changed."""
        changed = 0
        for region in regions:
            ec2 = self.ec2(region)
            instances = [i.id for r in ec2.reservations.values() for i in r.instances]
            snapshots = list(ec2.snapshots)
            deleted = self.random.sample(snapshots, max(1, round(len(snapshots) * fraction / 3)))
            for snapshot in deleted:
                ec2.delete_snapshot(snapshot)
            changed += len(deleted)
            for ids in (instances, list(ec2.volumes), list(ec2.snapshots)):
                picked = self.random.sample(ids, max(1, round(len(ids) * fraction)))
                ec2.create_tags(picked, {"reviewed": "2026-01"})
                changed += len(picked)
            changed += self._change_functions(region, fraction)
        return changed

    def _change_functions(self, region: str, fraction: float) -> int:
        from moto.awslambda.utils import get_backend

        functions = list(get_backend(self.account_id, region).list_functions())
        picked = self.random.sample(functions, max(1, round(len(functions) * fraction))) if functions else []
        client = self.client("lambda", region)
        for function in picked:
            client.update_function_configuration(FunctionName=function.function_name, MemorySize=2048)
        return len(picked)


def _needs_network(mix: Mix) -> bool:
    return bool(mix.load_balancers or mix.eks_clusters or mix.ecs_clusters)


def _tags(kind: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def region_mixes(options: Options) -> dict[str, Mix]:
    mix = mix_for(options.resources)
    mixes = {region: _share_of(mix, region) for region in MAIN_REGIONS}
    sprinkle = _sprinkle()
    for region in options.extra_regions():
        mixes[region] = sprinkle
    return mixes


def _share_of(mix: Mix, region: str) -> Mix:
    return Mix(**{name: share(value, region) for name, value in asdict(mix).items()})
