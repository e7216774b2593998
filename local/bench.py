"""`make bench`: crawl a large synthetic account in the emulator with a fixed latency per AWS call.

    python -m local.bench [--resources 10000] [--latency-ms 50] [--small]

The emulator (moto's server, in this process) holds a synthetic customer account: 17 enabled
regions, most resources in us-east-1 and eu-west-1, snapshots and Lambda functions in bulk. The
crawls run the production use cases (begin -> plan -> every region at once -> finish) with the
production provider, gateway and repositories, in a child process (a fresh interpreter, so its peak
RSS is the crawler's own) talking to the emulator over HTTP. Every HTTP attempt to AWS (customer
calls and STS) sleeps `--latency-ms` on the client side first; writes to Skylight's own table are
not delayed.

Runs: a first crawl on an empty table, an unchanged re-crawl (the figures `wall_s`, `api_calls`
and the lower bound come from it), the same re-crawl one call at a time (`listing_concurrency=1`,
regions one after another: the baseline), then a crawl after ~1% of the resources changed.

It prints a table and, as its last line, one JSON object (see docs/benchmark.md).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = ROOT / "functions"
PLATFORM_PRINCIPAL_ARN = "arn:aws:iam::123456789012:role/Skylight-platform-principal"
CUSTOMER_ACCOUNT = "111111111111"
REGION = "us-east-1"
TABLE = "skylight-bench"
TENANT = "bench-tenant"
# Where most of the account lives, and each one's share of it.
MAIN_REGIONS = {"us-east-1": 0.6, "eu-west-1": 0.4}
SMALL_EXTRA_REGION = "us-west-2"
HANDLER_MODULES = ("skylight.handlers.api.app", "skylight.handlers.workflow.tasks")
# What a deployed function's environment holds (infra/stack.py), minus the resources' real names.
LAMBDA_ENVIRONMENT = {
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_LAMBDA_FUNCTION_NAME": "skylight-bench",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
    "TABLE_NAME": TABLE,
    "PLATFORM_PRINCIPAL_ARN": PLATFORM_PRINCIPAL_ARN,
    "SCHEDULE_GROUP_NAME": "skylight",
    "TENANT_CLAIM": "tenant_id",
    "ROLES_CLAIM": "roles",
    "RETENTION_DAYS": "30",
    "ONBOARDING_TEMPLATE_URL": "",
    "POWERTOOLS_SERVICE_NAME": "skylight",
    "POWERTOOLS_METRICS_NAMESPACE": "Skylight",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}
JSON_KEYS = (
    "resources",
    "api_calls",
    "wall_s",
    "lower_bound_s",
    "ratio",
    "baseline_wall_s",
    "speedup",
    "writes_first",
    "writes_unchanged",
    "writes_1pct_changed",
    "peak_rss_mb",
    "max_import_ms",
)


# --- what the synthetic account holds ---------------------------------------------------------


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


# --- the child process: one measured crawl ----------------------------------------------------


@dataclass(frozen=True)
class CrawlSpec:
    tenant_id: str
    account_id: str
    latency_ms: float
    listing_concurrency: int | None = None  # None: every type of a region at once
    sequential_regions: bool = False


class Latency:
    """A botocore `before-send` hook: sleeps a fixed time before every attempt, and counts them."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, event_name: str = "", **_: Any) -> None:
        # event_name: before-send.<service>.<Operation>
        with self._lock:
            self.calls[event_name.removeprefix("before-send.")] += 1
        if self.seconds:
            time.sleep(self.seconds)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())


class _NoWorkflow:
    """The crawl never starts a workflow; the connect in the set-up tries, and is told it started."""

    def start(self, tenant_id: str, account_id: str, trigger: str, crawl_id: str | None = None) -> str:
        return f"bench-{account_id}"


class _NoSchedules:
    def ensure(self, tenant_id: str, account_id: str, every_minutes: int) -> None:
        return None

    def delete(self, account_id: str) -> None:
        return None


def build_services(latency: Latency, listing_concurrency: int | None = None) -> Any:
    """Production repositories on the emulator's table, and the AWS provider with the latency hook."""
    from skylight.dal.dynamodb import DynamoAccountRepository, DynamoTenantRepository
    from skylight.dal.dynamodb_inventory import DynamoCrawlRepository, DynamoInventoryRepository
    from skylight.logic.services import Services
    from skylight.providers.aws.gateway import Boto3AwsGateway
    from skylight.providers.aws.provider import AwsProvider

    gateway = Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, REGION, event_hooks=(("before-send", latency),))
    provider = AwsProvider(
        gateway=gateway,
        platform_principal_arn=PLATFORM_PRINCIPAL_ARN,
        listing_concurrency=listing_concurrency,
    )
    return Services(
        tenants=DynamoTenantRepository(TABLE, REGION),
        accounts=DynamoAccountRepository(TABLE, REGION),
        workflow=_NoWorkflow(),
        inventory=DynamoInventoryRepository(TABLE, REGION),
        crawls=DynamoCrawlRepository(TABLE, REGION),
        schedules=_NoSchedules(),
        provider=lambda _name: provider,
    )


def run_crawl(spec: CrawlSpec) -> dict[str, Any]:
    """One crawl as the state machine runs it: begin -> plan -> the regions (a Map) -> finish."""
    from skylight.logic import crawls

    latency = Latency(spec.latency_ms / 1000)
    services = build_services(latency, spec.listing_concurrency)
    tenant, account = spec.tenant_id, spec.account_id
    marks, rss = [time.perf_counter()], [_rss_mb()]
    _, crawl, _ = crawls.begin_crawl(services, tenant, account, "bench", None)
    marks.append(time.perf_counter())
    rss.append(_rss_mb())
    regions = crawls.plan_crawl(services, tenant, account, crawl.id)
    plan_calls = latency.total
    marks.append(time.perf_counter())
    rss.append(_rss_mb())
    region_wall: dict[str, float] = {}

    def crawl_region(region: str) -> None:
        started = time.perf_counter()
        crawls.crawl_region(services, tenant, account, crawl.id, region)
        region_wall[region] = time.perf_counter() - started

    if spec.sequential_regions:
        for region in regions:
            crawl_region(region)
    else:
        with ThreadPoolExecutor(max_workers=len(regions), thread_name_prefix="region") as pool:
            list(pool.map(crawl_region, regions))
    marks.append(time.perf_counter())
    rss.append(_rss_mb())
    finished = crawls.finish_crawl(services, tenant, account, crawl.id)
    marks.append(time.perf_counter())
    rss.append(_rss_mb())
    recorded = services.crawls.get(tenant, account, crawl.id)
    return {
        "crawl_id": crawl.id,
        "status": finished.status.value,
        "resources": finished.resources,
        "listing_calls": finished.api_calls,
        "throttles": finished.throttles,
        "http_calls": latency.total,
        "calls_by_operation": dict(latency.calls),
        "plan_calls": plan_calls,
        "writes": finished.writes.model_dump(),
        "errors": [error.model_dump(mode="json") for error in finished.errors],
        "phases": {
            "begin": marks[1] - marks[0],
            "plan": marks[2] - marks[1],
            "regions": marks[3] - marks[2],
            "finish": marks[4] - marks[3],
        },
        "wall_s": marks[4] - marks[0],
        "rss_mb": dict(zip(("start", "begin", "plan", "regions", "finish"), rss, strict=True)),
        "region_wall_s": region_wall,
        "outcomes": {
            region: {name: outcome.model_dump(mode="json") for name, outcome in progress.outcomes.items()}
            for region, progress in recorded.regions.items()
        }
        if recorded
        else {},
        "peak_rss_mb": _peak_rss_mb(),
        "cpu_s": _cpu_s(),
    }


def _rss_mb() -> float:
    """The current resident set (Linux), else the peak so far."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_rss_mb() -> float:
    """This process's own peak resident set.

    Linux's VmHWM, not `ru_maxrss`: a child started by fork/exec inherits in `ru_maxrss` the
    parent's resident set at the fork (here the emulator's), which would be counted as the crawler's.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the parent: emulator, set-up, runs, report -----------------------------------------------


def _environment(endpoint_url: str | None = None) -> dict[str, str]:
    """The environment of this process and of the crawl processes: the emulator's platform account."""
    environment = {
        **LAMBDA_ENVIRONMENT,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        "PYTHONPATH": os.pathsep.join([str(FUNCTIONS_DIR), str(ROOT)]),
    }
    del environment["AWS_LAMBDA_FUNCTION_NAME"], environment["AWS_EXECUTION_ENV"]
    if endpoint_url:
        environment["AWS_ENDPOINT_URL"] = endpoint_url
    return environment


def _use_environment(environment: dict[str, str]) -> None:
    os.environ.update(environment)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        os.environ.pop(name, None)
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))


def crawl_in_child(spec: CrawlSpec) -> dict[str, Any]:
    """Run one crawl in a fresh interpreter; its result is the last line it prints.

    The emulator serves it from this process: this process's CPU time meanwhile is the emulator's.
    """
    emulator_cpu = _cpu_s()
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "local.bench", "--crawl", json.dumps(asdict(spec))],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0 or not completed.stdout.strip():
        raise RuntimeError(f"the crawl process failed:\n{completed.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    result["emulator_cpu_s"] = _cpu_s() - emulator_cpu
    return result


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
        # Trusted by the platform account, where the functions' roles live.
        trust = _trusting({"AWS": f"arn:aws:iam::{PLATFORM_PRINCIPAL_ARN.split(':')[4]}:root"})
        self.emulator.client("iam").create_role(
            RoleName=PLATFORM_PRINCIPAL_ARN.rsplit("/", 1)[1], AssumeRolePolicyDocument=trust
        )

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


# --- lower bound, imports, report -------------------------------------------------------------


@dataclass
class LowerBound:
    plan_calls: int
    region_setup_calls: int
    longest_pages: int
    longest: str
    latency_s: float

    @property
    def seconds(self) -> float:
        return (self.plan_calls + self.region_setup_calls + self.longest_pages) * self.latency_s

    def describe(self) -> str:
        chain = self.plan_calls + self.region_setup_calls + self.longest_pages
        return (
            f"plan {self.plan_calls} calls + region set-up {self.region_setup_calls} + longest chain "
            f"{self.longest_pages} pages ({self.longest}) = {chain} x {self.latency_s * 1000:g} ms "
            f"= {self.seconds:.2f} s"
        )


def lower_bound(run: dict[str, Any], latency_s: float) -> LowerBound:
    """The longest chain of calls that must run one after another, from the crawl's own page counts."""
    longest, pages = "-", 0
    for region, outcomes in run["outcomes"].items():
        for name, outcome in outcomes.items():
            if outcome["pages"] > pages:
                longest, pages = f"{region} {name}", outcome["pages"]
    # Each region assumes the customer role once before it lists anything.
    return LowerBound(run["plan_calls"], 1, pages, longest, latency_s)


def import_ms(module: str, attempts: int = 3) -> float:
    """The best of `attempts` imports of `module` in a fresh interpreter, with a function's environment."""
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))},
        **LAMBDA_ENVIRONMENT,
        "PYTHONPATH": str(FUNCTIONS_DIR),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    timings = []
    for _ in range(attempts):
        completed = subprocess.run(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        timings.append(float(completed.stdout.strip().splitlines()[-1]))
    return min(timings)


@dataclass
class Runs:
    first: dict[str, Any]
    unchanged: dict[str, Any]
    baseline: dict[str, Any] | None
    changed: dict[str, Any]
    changed_resources: int
    expected: Counter[str]
    setup_s: float
    imports: dict[str, float] = field(default_factory=dict)


def figures(runs: Runs, options: Options) -> dict[str, Any]:
    steady = runs.unchanged
    bound = lower_bound(steady, options.latency_s)
    wall = steady["wall_s"]
    baseline = runs.baseline["wall_s"] if runs.baseline else None
    measured = [runs.first, runs.unchanged, runs.changed, *([runs.baseline] if runs.baseline else [])]
    return {
        "resources": steady["resources"],
        "api_calls": steady["http_calls"],
        "wall_s": round(wall, 3),
        "lower_bound_s": round(bound.seconds, 3),
        "ratio": round(wall / bound.seconds, 2) if bound.seconds else None,
        "baseline_wall_s": round(baseline, 3) if baseline is not None else None,
        "speedup": round(baseline / wall, 1) if baseline is not None else None,
        "writes_first": runs.first["writes"]["write_units"],
        "writes_unchanged": steady["writes"]["write_units"],
        "writes_1pct_changed": runs.changed["writes"]["write_units"],
        "peak_rss_mb": round(max(run["peak_rss_mb"] for run in measured), 1),
        "max_import_ms": round(max(runs.imports.values()), 1) if runs.imports else None,
        "expected_resources": sum(runs.expected.values()),
        "changed_resources": runs.changed_resources,
        "wall_first_s": round(runs.first["wall_s"], 3),
        "latency_ms": options.latency_ms,
        "regions": len(steady["outcomes"]),
        "longest_chain": bound.longest,
        "small": options.small,
    }


def _row(cells: Iterable[Any], widths: Iterable[int]) -> str:
    return "  ".join(
        str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
    )


def type_table(run: dict[str, Any], expected: Counter[str]) -> Iterator[str]:
    totals: dict[str, list[int]] = {}
    for outcomes in run["outcomes"].values():
        for name, outcome in outcomes.items():
            row = totals.setdefault(name, [0, 0, 0, 0, 0])
            row[0] += outcome["count"]
            row[1] += outcome["count"] > 0
            row[2] = max(row[2], outcome["pages"])
            row[3] += outcome["api_calls"]
            row[4] += outcome["throttles"]
    widths = (26, 9, 9, 8, 10, 6, 9)
    yield _row(("type", "expected", "listed", "regions", "max pages", "calls", "throttles"), widths)
    for name, (count, regions, pages, calls, throttles) in sorted(totals.items()):
        yield _row((name, expected.get(name, 0), count, regions, pages, calls, throttles), widths)
    yield _row(("total", sum(expected.values()), sum(r[0] for r in totals.values()), "", "", "", ""), widths)


def phase_table(runs: Runs) -> Iterator[str]:
    widths = (26, 8, 7, 7, 8, 7, 7, 7, 7, 9, 8)
    yield _row(
        ("crawl", "wall s", "begin", "plan", "regions", "finish", "calls", "WU", "puts", "deletes", "rss MB"),
        widths,
    )
    named = [("first (empty table)", runs.first), ("unchanged re-crawl", runs.unchanged)]
    if runs.baseline:
        named.append(("baseline (1 call at a time)", runs.baseline))
    named.append((f"after {runs.changed_resources} changes", runs.changed))
    for name, run in named:
        phases, writes = run["phases"], run["writes"]
        yield _row(
            (
                name[:26],
                f"{run['wall_s']:.2f}",
                f"{phases['begin']:.2f}",
                f"{phases['plan']:.2f}",
                f"{phases['regions']:.2f}",
                f"{phases['finish']:.2f}",
                run["http_calls"],
                writes["write_units"],
                writes["puts"],
                writes["deletes"],
                f"{run['peak_rss_mb']:.0f}",
            ),
            widths,
        )


TARGETS: tuple[tuple[str, str, Callable[[Any, dict[str, Any]], bool]], ...] = (
    ("ratio", "<= 1.5", lambda v, _: v is not None and v <= 1.5),
    ("speedup", ">= 10", lambda v, _: v is not None and v >= 10),
    ("writes_unchanged", "= 0", lambda v, _: v == 0),
    (
        "writes_1pct_changed",
        "~ 1% of writes_first",
        # Small accounts change at least one resource of each kind: then, no more than what changed.
        lambda v, f: v <= max(0.02 * f["writes_first"], 1.2 * f["changed_resources"]),
    ),
    ("peak_rss_mb", "<= 512", lambda v, _: v <= 512),
    ("max_import_ms", "<= 300", lambda v, _: v is not None and v <= 300),
)


def report(runs: Runs, options: Options) -> dict[str, Any]:
    result = figures(runs, options)
    steady = runs.unchanged
    print(
        f"\nSkylight crawl benchmark: {result['resources']:,} resources, {result['regions']} segments "
        f"(regions + global), {options.latency_ms:g} ms per AWS call; set-up {runs.setup_s:.1f} s\n"
    )
    for line in type_table(steady, runs.expected):
        print(line)
    print()
    for line in phase_table(runs):
        print(line)
    slowest = max(steady["region_wall_s"].items(), key=lambda item: item[1])
    print(f"\nslowest region of the re-crawl: {slowest[0]} {slowest[1]:.2f} s")
    print("lower bound: " + lower_bound(steady, options.latency_s).describe())
    for module, milliseconds in runs.imports.items():
        print(f"import {module}: {milliseconds:.0f} ms (best of 3, fresh interpreter)")
    print()
    for key, target, met in TARGETS:
        value = result[key]
        verdict = "n/a" if value is None else ("met" if met(value, result) else "MISSED")
        print(f"{key:<22}{value!s:>10}   target {target:<22}{verdict}")
    return result


def run_all(options: Options, imports: bool = True) -> Runs:
    from local.emulator.regions import DEFAULT_ENABLED
    from local.emulator.server import start_emulator

    _use_environment(_environment())
    started = time.perf_counter()
    with start_emulator(port=0) as emulator:
        _use_environment(_environment(emulator.endpoint_url))
        platform = Platform(emulator)
        platform.create()
        account_id = platform.connect(CUSTOMER_ACCOUNT)
        customer = CustomerAccount(emulator, CUSTOMER_ACCOUNT)
        customer.populate(region_mixes(options))
        expected = customer.expected(DEFAULT_ENABLED)
        setup_s = time.perf_counter() - started
        spec = CrawlSpec(TENANT, account_id, options.latency_ms)
        first = crawl_in_child(spec)
        unchanged = crawl_in_child(spec)
        baseline = (
            None
            if options.small
            else crawl_in_child(replace(spec, listing_concurrency=1, sequential_regions=True))
        )
        changed_resources = customer.change(0.01, MAIN_REGIONS)
        changed = crawl_in_child(spec)
    runs = Runs(first, unchanged, baseline, changed, changed_resources, expected, setup_s)
    if imports:
        runs.imports = {module: import_ms(module) for module in HANDLER_MODULES}
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=None, help="about how many resources (10000)")
    parser.add_argument("--latency-ms", type=float, default=None, help="per AWS call, client side (50)")
    parser.add_argument(
        "--small", action="store_true", help="~200 resources, 3 regions, 5 ms, no baseline (CI)"
    )
    parser.add_argument("--crawl", help=argparse.SUPPRESS)  # one measured crawl, in a child process
    args = parser.parse_args(argv)
    if args.crawl:
        if str(FUNCTIONS_DIR) not in sys.path:
            sys.path.insert(0, str(FUNCTIONS_DIR))
        print(json.dumps(run_crawl(CrawlSpec(**json.loads(args.crawl)))))
        return 0
    options = Options(
        resources=args.resources or (200 if args.small else 10_000),
        latency_ms=args.latency_ms if args.latency_ms is not None else (5 if args.small else 50),
        small=args.small,
    )
    result = report(run_all(options), options)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
