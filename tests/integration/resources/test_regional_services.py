"""Auto Scaling, RDS, Lambda, ECS, EKS, ELBv2 and DynamoDB modules against the emulator."""

from __future__ import annotations

from tests.integration.resources import builders as b

EAST, WEST = "us-east-1", "eu-west-1"


def test_auto_scaling_groups_follow_every_page() -> None:
    b.listed_over_two_pages(
        "aws.autoscaling.group", WEST, b.auto_scaling_group, "DescribeAutoScalingGroups", "MaxRecords", 100
    )
    b.auto_scaling_group(EAST, "web")

    [east], _ = b.listed("aws.autoscaling.group", EAST)

    assert east.id.startswith(f"arn:aws:autoscaling:{EAST}:{b.ACCOUNT}:autoScalingGroup:")
    assert east.id.endswith(":autoScalingGroupName/web")
    assert (east.name, east.region) == ("web", EAST)
    assert east.tags == {"team": "web"}
    assert east.attributes | {"created_at": None} == {
        "desired_capacity": 0,
        "min_size": 0,
        "max_size": 3,
        "instances": 0,
        "launched_from": "launch-template:web",
        "availability_zones": ["us-east-1a"],
        "subnet_ids": [],
        "health_check_type": "EC2",
        "created_at": None,
    }


def test_db_instances_follow_every_page() -> None:
    resources, _ = b.listed_over_two_pages(
        "aws.rds.db_instance", EAST, b.db_instance, "DescribeDBInstances", "MaxRecords", 100
    )

    db = b.by_name(resources)["db-instance-000"]
    assert db.id == f"arn:aws:rds:{EAST}:{b.ACCOUNT}:db:db-instance-000"
    assert db.tags == {"team": "data"}
    assert db.attributes["engine"] == "postgres"
    assert db.attributes["instance_class"] == "db.t3.micro"
    assert db.attributes["allocated_storage_gib"] == 20
    assert db.attributes["storage_encrypted"] is True
    assert db.attributes["status"] == "available"


def test_db_clusters() -> None:
    b.db_cluster(WEST, "aurora")

    [cluster], calls = b.listed("aws.rds.db_cluster", WEST)

    assert cluster.id == f"arn:aws:rds:{WEST}:{b.ACCOUNT}:cluster:aurora"
    assert (cluster.name, cluster.region) == ("aurora", WEST)
    assert cluster.tags == {"team": "data"}
    assert cluster.attributes["engine"] == "aurora-postgresql"
    assert cluster.attributes["members"] == 0
    assert calls.params("DescribeDBClusters") == [{"MaxRecords": 100}]


def test_functions_without_tag_calls() -> None:
    role = b.function_role()
    b.function(EAST, "api", role)
    b.function(WEST, "worker", role)

    [function], calls = b.listed("aws.lambda.function")

    assert function.id == f"arn:aws:lambda:{EAST}:{b.ACCOUNT}:function:api"
    assert function.name == "api"
    assert function.tags == {}
    assert function.attributes["runtime"] == "python3.12"
    assert function.attributes["memory_mb"] == 256
    assert function.attributes["timeout_s"] == 30
    # moto answers every function at once; the call still asks for ListFunctions' largest page.
    assert calls.made == [("ListFunctions", {"MaxItems": 50})]


def test_ecs_clusters_and_services_in_batches() -> None:
    apps = b.ecs_cluster(EAST, "apps")
    b.ecs_services(EAST, apps, 12)
    b.ecs_cluster(EAST, "empty")

    clusters, cluster_calls = b.listed("aws.ecs.cluster")
    services, service_calls = b.listed("aws.ecs.service")

    assert {c.name: c.id for c in clusters} == {
        "apps": f"arn:aws:ecs:{EAST}:{b.ACCOUNT}:cluster/apps",
        "empty": f"arn:aws:ecs:{EAST}:{b.ACCOUNT}:cluster/empty",
    }
    assert clusters[0].tags == {"team": "ops"}
    assert b.by_name(clusters)["apps"].attributes["status"] == "ACTIVE"
    assert cluster_calls.names() == ["ListClusters", "DescribeClusters"]
    assert len(services) == 12
    service = b.by_name(services)["apps-service-00"]
    assert service.id == f"arn:aws:ecs:{EAST}:{b.ACCOUNT}:service/apps/apps-service-00"
    assert service.tags == {"team": "ops"}
    assert service.attributes["cluster_arn"] == apps
    assert service.attributes["desired_count"] == 0
    # 12 services of one cluster: two DescribeServices (10 at most each); none for the empty cluster.
    described = service_calls.params("DescribeServices")
    assert [len(p["services"]) for p in described] == [10, 2]
    assert service_calls.params("ListClusters") == [{"maxResults": 100}]
    assert {p["maxResults"] for p in service_calls.params("ListServices")} == {100}


def test_eks_clusters_described_one_by_one() -> None:
    b.eks_cluster(WEST, "k8s")
    b.eks_cluster(WEST, "k8s-2")

    resources, calls = b.listed("aws.eks.cluster", WEST)

    cluster = b.by_name(resources)["k8s"]
    assert cluster.id == f"arn:aws:eks:{WEST}:{b.ACCOUNT}:cluster/k8s"
    assert cluster.tags == {"team": "k8s"}
    assert cluster.attributes["version"] == "1.31"
    assert calls.names() == ["ListClusters", "DescribeCluster", "DescribeCluster"]
    assert calls.params("ListClusters") == [{"maxResults": 100}]


def test_load_balancers_with_tags_in_batches_of_20() -> None:
    arns = b.load_balancers(EAST, 21)

    resources, calls = b.listed("aws.elbv2.load_balancer")

    assert [r.id for r in resources] == arns
    first = b.by_name(resources)["lb-000"]
    assert first.tags == {"index": "0"}
    assert first.attributes["type"] == "application"
    assert first.attributes["scheme"] == "internal"
    assert first.attributes["availability_zones"] == ["us-east-1a", "us-east-1b"]
    assert b.by_name(resources)["lb-020"].tags == {"index": "20"}
    assert calls.params("DescribeLoadBalancers") == [{"PageSize": 400}]
    assert [len(p["ResourceArns"]) for p in calls.params("DescribeTags")] == [20, 1]


def test_tables_follow_every_page() -> None:
    resources, calls = b.listed_over_two_pages(
        "aws.dynamodb.table", EAST, b.table, "ListTables", "Limit", 100
    )

    assert calls.count("DescribeTable") == 101
    table = b.by_name(resources)["table-000"]
    assert table.id == f"arn:aws:dynamodb:{EAST}:{b.ACCOUNT}:table/table-000"
    assert table.attributes["billing_mode"] == "PAY_PER_REQUEST"
    assert table.attributes["status"] == "ACTIVE"
    assert table.attributes["item_count"] == 0
