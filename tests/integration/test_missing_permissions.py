"""A permission the customer's role lacks degrades what is listed, never hides it.

The roles here get hand-written read policies, as a new user writes them, each missing an action a
crawl needs. Connect names the missing action (the probes cover every action a crawl makes); the
crawl stores what the listings returned without what the refused calls would have added, ends
`partial`, and says which action was missing; once it is granted, the next crawl stores it all.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.integration.conftest import connect_body, external_id_of
from tests.integration.crawling import customer, customer_function, customer_table, run_crawl
from tests.integration.test_crawls import count_of
from tests.integration.test_unusual_provider_answers import use_gateway_hooks
from tests.support import (
    CUSTOMER_ACCOUNT,
    INVENTORY_READ,
    access_key_body,
    account_client,
    allow,
    create_customer_role,
    create_user_key,
    trust_policy,
)

INVENTORY_ACTIONS: list[str] = INVENTORY_READ["Statement"][0]["Action"]
TAGGED = {"team": "web"}


def without(*actions: str, adding: tuple[str, ...] = ()) -> dict[str, Any]:
    """The tests' inventory policy, less `actions` (and plus `adding`), as a user might write it."""
    return allow(*[a for a in INVENTORY_ACTIONS if a not in actions], *adding)


def connect(api: Any, policy: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    trust = trust_policy(external_id=external_id_of(api))
    role = create_customer_role(CUSTOMER_ACCOUNT, "HandWritten", trust, policy)
    status, account = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 201, account
    return account, role


def grant(role: Any, policy: dict[str, Any]) -> None:
    account_client("iam", role.account_id).put_role_policy(
        RoleName=role.name, PolicyName="skylight", PolicyDocument=json.dumps(policy)
    )


def items_of(api: Any, account: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in count_of(api, account["id"], type=resource_type)}


def crawl_errors(api: Any, account: dict[str, Any], crawl_id: str) -> set[tuple[str, str, str | None, str]]:
    status, crawl = api("GET", f"/v1/accounts/{account['id']}/crawls/{crawl_id}")
    assert status == 200
    return {(e["region"], e["type"], e["action"], e["code"]) for e in crawl["errors"]}


@pytest.fixture
def tagged_estate(aws: None) -> None:
    """A function, a table and a bucket (whose listings carry no tags), each tagged, in three regions."""
    customer_function("us-east-1", "checkout", TAGGED)
    customer_table("eu-west-1", "orders", TAGGED)
    s3 = customer("s3", "ap-southeast-2")
    s3.create_bucket(
        Bucket="logs-of-customer", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"}
    )
    s3.put_bucket_tagging(Bucket="logs-of-customer", Tagging={"TagSet": [{"Key": "team", "Value": "web"}]})


TAGGED_TYPES = {
    "aws.lambda.function": ("us-east-1", "checkout"),
    "aws.dynamodb.table": ("eu-west-1", "orders"),
    "aws.s3.bucket": ("global", "logs-of-customer"),
}


def stored_tags(api: Any, account: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        resource_type: items_of(api, account, resource_type)[name]["tags"]
        for resource_type, (_, name) in TAGGED_TYPES.items()
    }


def test_a_role_without_tag_get_resources_is_told_at_connect_and_its_crawls_store_untagged_until_granted(
    api: Any, tagged_estate: None
) -> None:
    account, role = connect(api, without("tag:GetResources"))

    # What connect reports is what crawls get: the tagging API is probed like every other action.
    assert account["permissions"]["missing"] == ["tag:GetResources"]
    read = next(step for step in account["steps"] if step["name"] == "read_permissions")
    assert read["outcome"] == "warning" and "tag:GetResources" in read["message"]

    first = run_crawl(account["id"])

    assert first["status"] == "partial"
    # Every function, table and bucket is stored, without tags: none is hidden.
    assert stored_tags(api, account) == {resource_type: {} for resource_type in TAGGED_TYPES}
    table = items_of(api, account, "aws.dynamodb.table")["orders"]
    assert table["attributes"]["status"] == "ACTIVE" and not table["stale"]
    assert crawl_errors(api, account, first["crawl_id"]) == {
        (region, resource_type, "tag:GetResources", "AccessDeniedException")
        for resource_type, (region, _) in TAGGED_TYPES.items()
    }
    _, crawl = api("GET", f"/v1/accounts/{account['id']}/crawls/{first['crawl_id']}")
    assert crawl["regions"]["us-east-1"]["status"] == "partial"
    assert crawl["regions"]["eu-central-1"]["status"] == "succeeded"  # nothing there to tag
    assert crawl["counts_by_type"]["aws.lambda.function"] == 1
    _, health = api("GET", f"/v1/accounts/{account['id']}/health")
    assert health["state"] == "degraded"
    assert {"missing:tag:GetResources", "tag:AccessDeniedException"} <= set(health["permission_gaps"])
    assert health["stale"] == []
    assert {(e["type"], e["action"]) for e in health["errors"]} == {
        (resource_type, "tag:GetResources") for resource_type in TAGGED_TYPES
    }

    grant(role, INVENTORY_READ)
    second = run_crawl(account["id"])

    assert second["status"] == "succeeded"
    assert stored_tags(api, account) == {resource_type: TAGGED for resource_type in TAGGED_TYPES}
    _, health = api("GET", f"/v1/accounts/{account['id']}/health")
    assert (health["state"], health["permission_gaps"], health["errors"]) == ("healthy", [], [])

    # Taken away again once the pages were recorded with their tags: the pages are the same, but the
    # listing is not reported unchanged, and its items are stored as they now are, untagged.
    grant(role, without("tag:GetResources"))
    assert run_crawl(account["id"])["status"] == "partial"
    assert stored_tags(api, account) == {resource_type: {} for resource_type in TAGGED_TYPES}
    grant(role, INVENTORY_READ)
    assert run_crawl(account["id"])["status"] == "succeeded"
    assert stored_tags(api, account) == {resource_type: TAGGED for resource_type in TAGGED_TYPES}


def test_a_permission_refused_in_one_region_only_is_named_by_the_crawl_that_met_it(
    api: Any, tagged_estate: None
) -> None:
    # Allowed where connect probes (us-east-1), refused in eu-west-1: only a crawl can tell.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            *INVENTORY_READ["Statement"],
            {
                "Effect": "Deny",
                "Action": "tag:GetResources",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
            },
        ],
    }
    account, _ = connect(api, policy)
    assert account["permissions"]["missing"] == []

    crawl = run_crawl(account["id"])

    assert crawl["status"] == "partial"
    assert crawl_errors(api, account, crawl["crawl_id"]) == {
        ("eu-west-1", "aws.dynamodb.table", "tag:GetResources", "AccessDeniedException")
    }
    assert stored_tags(api, account) == {
        "aws.lambda.function": TAGGED,
        "aws.dynamodb.table": {},
        "aws.s3.bucket": TAGGED,
    }
    _, health = api("GET", f"/v1/accounts/{account['id']}/health")
    assert health["permission_gaps"] == ["missing:tag:GetResources", "tag:AccessDeniedException"]


@pytest.fixture
def described_estate(aws: None) -> None:
    """What needs a detail call to be described: an ECS service, an EKS cluster, a DynamoDB table."""
    ecs = customer("ecs", "us-east-1")
    cluster = ecs.create_cluster(clusterName="apps")["cluster"]["clusterArn"]
    definition = ecs.register_task_definition(
        family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=cluster, serviceName="web", taskDefinition=definition, desiredCount=2)
    customer("eks", "us-east-1").create_cluster(
        name="platform",
        version="1.31",
        roleArn=f"arn:aws:iam::{CUSTOMER_ACCOUNT}:role/eks",
        resourcesVpcConfig={"subnetIds": []},
        tags={"team": "k8s"},
    )
    customer_table("us-east-1", "orders", {"team": "data"})


DETAIL_ACTIONS = ["dynamodb:DescribeTable", "ecs:DescribeServices", "eks:DescribeCluster"]


def test_a_role_without_detail_actions_keeps_what_the_listings_gave_until_they_are_granted(
    api: Any, described_estate: None
) -> None:
    # ECS's and EKS's describes spelled out one by one, the services' and the clusters' left out.
    policy = without(
        "ecs:Describe*", "eks:DescribeCluster", "dynamodb:DescribeTable", adding=("ecs:DescribeClusters",)
    )
    account, role = connect(api, policy)
    assert sorted(account["permissions"]["missing"]) == DETAIL_ACTIONS

    first = run_crawl(account["id"])

    assert first["status"] == "partial"
    service = items_of(api, account, "aws.ecs.service")["web"]
    eks = items_of(api, account, "aws.eks.cluster")["platform"]
    table = items_of(api, account, "aws.dynamodb.table")["orders"]
    # Stored as listed: their ARNs and names, no detail attribute (none made up either).
    assert service["id"] == f"arn:aws:ecs:us-east-1:{CUSTOMER_ACCOUNT}:service/apps/web"
    assert service["attributes"] == {"cluster_arn": f"arn:aws:ecs:us-east-1:{CUSTOMER_ACCOUNT}:cluster/apps"}
    assert (eks["id"], eks["attributes"], eks["tags"]) == (
        f"arn:aws:eks:us-east-1:{CUSTOMER_ACCOUNT}:cluster/platform",
        {},
        {},
    )
    assert (table["id"], table["attributes"]) == (
        f"arn:aws:dynamodb:us-east-1:{CUSTOMER_ACCOUNT}:table/orders",
        {},
    )
    assert table["tags"] == {"team": "data"}  # from the tagging API, which the role may read
    errors = crawl_errors(api, account, first["crawl_id"])
    assert {(region, action, code) for region, _, action, code in errors} == {
        ("us-east-1", action, "AccessDeniedException") for action in DETAIL_ACTIONS
    }
    _, health = api("GET", f"/v1/accounts/{account['id']}/health")
    assert {f"missing:{action}" for action in DETAIL_ACTIONS} <= set(health["permission_gaps"])

    grant(role, INVENTORY_READ)
    second = run_crawl(account["id"])

    assert second["status"] == "succeeded"
    service = items_of(api, account, "aws.ecs.service")["web"]
    eks = items_of(api, account, "aws.eks.cluster")["platform"]
    table = items_of(api, account, "aws.dynamodb.table")["orders"]
    assert (service["attributes"]["desired_count"], service["attributes"]["status"]) == (2, "ACTIVE")
    assert (eks["attributes"]["version"], eks["tags"]) == ("1.31", {"team": "k8s"})
    assert table["attributes"]["status"] == "ACTIVE"
    # The same items, described now: none was stored twice.
    assert [len(count_of(api, account["id"], type=t)) for t in ("aws.ecs.service", "aws.eks.cluster")] == [
        1,
        1,
    ]


class ProbedArns:
    """The resource ARNs the load balancers' tags probe asks about (the call goes out as usual).

    The identity of the credentials comes back late, as it may from AWS: a role's probes, which go
    out with it, cannot wait for it to know which account they probe."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def hooks(self) -> tuple[tuple[str, Any], ...]:
        return (
            ("before-parameter-build.elastic-load-balancing-v2.DescribeTags", self._record),
            ("after-call.sts.GetCallerIdentity", lambda **_: time.sleep(0.5)),
        )

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.asked += params["ResourceArns"]


@pytest.mark.parametrize("credentials", ["role", "access_key"])
def test_a_probe_about_a_resource_names_one_of_the_probed_accounts_own(api: Any, credentials: str) -> None:
    probed = ProbedArns()
    use_gateway_hooks(probed.hooks())
    if credentials == "role":
        account, _ = connect(api, INVENTORY_READ)
    else:
        status, account = api(
            "POST", "/v1/accounts", access_key_body(create_user_key(CUSTOMER_ACCOUNT, "keys"))
        )
        assert status == 201, account

    assert "elasticloadbalancing:DescribeTags" in account["permissions"]["granted"]
    # ELB may take an ARN of another region or account for malformed, which would prove nothing.
    [arn] = probed.asked
    assert arn.startswith(f"arn:aws:elasticloadbalancing:us-east-1:{CUSTOMER_ACCOUNT}:loadbalancer/app/")
