"""Crawls of a connected account: what is listed, what is written, what is kept when a listing fails."""

import json
from collections import Counter

import pytest

from skylight.handlers import dependencies
from skylight.handlers.workflow import tasks
from tests.faults import Throttler
from tests.integration.conftest import SESSION
from tests.integration.crawling import customer, customer_function, customer_table, run_crawl
from tests.integration.test_unusual_provider_answers import use_gateway_hooks
from tests.support import INVENTORY_READ, LambdaContext, account_client


def launch(region, count=1, name=None):
    ec2 = customer("ec2", region)
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}] if name else []
    reservation = ec2.run_instances(
        ImageId="ami-12345678",
        MinCount=count,
        MaxCount=count,
        InstanceType="t3.micro",
        TagSpecifications=tags,
    )
    return [instance["InstanceId"] for instance in reservation["Instances"]]


def count_of(api, account_id, **query):
    items, cursor = [], None
    while True:
        status, page = api(
            "GET",
            f"/v1/accounts/{account_id}/inventory",
            query={**query, **({"cursor": cursor} if cursor else {})},
        )
        assert status == 200, page
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


@pytest.fixture
def estate(connected):
    """A connected account with instances in two regions and a bucket in a third."""
    account, role = connected
    launch("us-east-1", 3, name="web")
    launch("eu-west-1", 2)
    customer("s3", "ap-southeast-2").create_bucket(
        Bucket="logs-of-customer", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"}
    )
    return account, role


def test_a_crawl_lists_every_enabled_region_and_counts_exactly(api, estate):
    account, _ = estate
    finished = run_crawl(account["id"])
    assert finished["status"] == "succeeded"

    status, crawl = api("GET", f"/v1/accounts/{account['id']}/crawls/{finished['crawl_id']}")
    assert status == 200
    assert len(crawl["regions"]) == 18  # the 17 regions of a new account, and the global types
    assert all(region["status"] == "succeeded" for region in crawl["regions"].values())
    assert crawl["counts_by_type"]["aws.ec2.instance"] == 5
    assert crawl["counts_by_type"]["aws.s3.bucket"] == 1
    assert crawl["api_calls"] >= 17 * 15 and crawl["errors"] == []

    _, shown = api("GET", f"/v1/accounts/{account['id']}")
    summary = shown["inventory_summary"]
    assert summary["by_type"]["aws.ec2.instance"] == 5
    assert summary["by_region"]["ap-southeast-2"] >= 1  # the bucket counts where it lives
    assert summary["total"] == sum(summary["by_type"].values())
    assert shown["health"]["state"] == "healthy"
    assert shown["health"]["last_successful_crawl_at"] is not None

    instances = count_of(api, account["id"], type="aws.ec2.instance")
    assert len(instances) == 5
    web = [item for item in instances if item["name"] == "web"]
    assert len(web) == 3 and web[0]["region"] == "us-east-1"
    assert web[0]["id"].startswith("arn:aws:ec2:us-east-1:111111111111:instance/i-")
    assert web[0]["tags"] == {"Name": "web"}
    assert web[0]["attributes"]["instance_type"] == "t3.micro"
    assert len(count_of(api, account["id"], region="eu-west-1", type="aws.ec2.instance")) == 2
    assert [b["region"] for b in count_of(api, account["id"], type="aws.s3.bucket")] == ["ap-southeast-2"]

    # The tenant's totals add up its own accounts only.
    status, totals = api("GET", "/v1/inventory/summary")
    assert status == 200
    assert (totals["accounts"], totals["by_type"]) == (1, summary["by_type"])
    assert totals["by_account"][0]["account_id"] == account["id"]
    status, other = api("GET", "/v1/inventory/summary", tenant="tenant-b")
    assert (status, other["total"], other["by_account"]) == (200, 0, [])


def test_an_unchanged_account_writes_nothing_and_changes_write_only_themselves(api, estate):
    account, _ = estate
    gone = launch("us-east-1", 1)[0]
    first = api("GET", f"/v1/accounts/{account['id']}/crawls/{run_crawl(account['id'])['crawl_id']}")[1]
    assert first["status"] == "succeeded"

    again = run_crawl(account["id"])
    _, crawl = api("GET", f"/v1/accounts/{account['id']}/crawls/{again['crawl_id']}")
    totals = _writes(crawl)
    assert (totals["puts"], totals["deletes"]) == (0, 0)
    assert totals["unchanged"] == first["resources"]
    assert crawl["writes"]["write_units"] == 0

    customer("ec2").terminate_instances(InstanceIds=[gone])
    customer("ec2").create_tags(Resources=[launch("eu-west-1")[0]], Tags=[{"Key": "team", "Value": "a"}])
    third = run_crawl(account["id"])
    _, crawl = api("GET", f"/v1/accounts/{account['id']}/crawls/{third['crawl_id']}")
    totals = _writes(crawl)
    # In: the new tagged instance and its root volume; out: the terminated instance and its volume.
    assert (totals["puts"], totals["deletes"]) == (2, 2)
    ids = [item["id"] for item in count_of(api, account["id"], type="aws.ec2.instance")]
    assert len(ids) == 6 and not any(gone in resource_id for resource_id in ids)


class RecordedInventory:
    """The real inventory repository with its calls counted; optionally a write that dies right after
    storing its items, or a region whose task dies as soon as it starts, as a function that times
    out would."""

    def __init__(self, real):
        self.real = real
        self.calls = Counter()
        self.die_after_write = False
        self.dead_region = None

    def __getattr__(self, name):
        attribute = getattr(self.real, name)

        def call(*args, **kwargs):
            self.calls[name] += 1
            result = attribute(*args, **kwargs)
            if name == "write" and self.die_after_write:
                raise TimeoutError("the function ran out of time")
            return result

        return call


class CrawlsOfDyingRegion:
    """The real crawl repository; the task of the inventory's `dead_region` dies as it starts."""

    def __init__(self, real, inventory):
        self.real = real
        self.inventory = inventory

    def __getattr__(self, name):
        attribute = getattr(self.real, name)
        if name != "segment_start":
            return attribute

        def segment_start(tenant_id, account_id, segments, now):
            if self.inventory.dead_region in segments:
                raise TimeoutError("the function ran out of time")
            return attribute(tenant_id, account_id, segments, now)

        return segment_start


@pytest.fixture
def recorded_inventory(api):
    services = dependencies.services()
    services.inventory = RecordedInventory(services.inventory)
    services.crawls = CrawlsOfDyingRegion(services.crawls, services.inventory)
    return services.inventory


def test_an_unchanged_listing_is_neither_read_nor_written(api, estate, recorded_inventory):
    account, _ = estate
    run_crawl(account["id"])
    assert recorded_inventory.calls["hashes"] == 17 * 16 + 1  # every (region, type) the first time

    recorded_inventory.calls.clear()
    run_crawl(account["id"])
    # Each region's digests (read with its account, test_region_start.py) vouch for every listing:
    # no stored resource is read or written.
    assert recorded_inventory.calls["hashes"] == recorded_inventory.calls["write"] == 0

    customer("ec2", "eu-west-1").create_tags(Resources=[launch("eu-west-1")[0]], Tags=[])
    recorded_inventory.calls.clear()
    run_crawl(account["id"])
    # Only the listings that changed (instances and volumes of eu-west-1) are compared item by item.
    assert recorded_inventory.calls["hashes"] == recorded_inventory.calls["write"] == 2


def test_a_region_that_dies_while_writing_is_compared_item_by_item_next_time(api, estate, recorded_inventory):
    account, _ = estate
    run_crawl(account["id"])
    web = launch("us-east-1", 1, name="web")[0]
    assert run_crawl(account["id"])["status"] == "succeeded"

    # The instance is retagged, and the crawl dies right after storing it, before its digests are saved.
    customer("ec2").create_tags(Resources=[web], Tags=[{"Key": "Name", "Value": "renamed"}])
    recorded_inventory.die_after_write = True
    assert run_crawl(account["id"])["status"] == "partial"
    recorded_inventory.die_after_write = False

    # Back to how it was: the same listing as two crawls ago, whose digest was recorded then.
    customer("ec2").create_tags(Resources=[web], Tags=[{"Key": "Name", "Value": "web"}])
    assert run_crawl(account["id"])["status"] == "succeeded"
    instances = count_of(api, account["id"], type="aws.ec2.instance")
    assert {item["name"] for item in instances if item["id"].endswith(web)} == {"web"}


def test_a_region_whose_task_dies_is_recorded_failed_and_its_items_kept_stale(
    api, estate, recorded_inventory
):
    account, _ = estate
    path = f"/v1/accounts/{account['id']}"
    run_crawl(account["id"])
    recorded_inventory.dead_region = "eu-west-1"

    finished = run_crawl(account["id"])

    assert finished["status"] == "partial"
    _, crawl = api("GET", f"{path}/crawls/{finished['crawl_id']}")
    region = crawl["regions"]["eu-west-1"]
    assert region["status"] == "failed" and region["finished_at"] and region["errors"] == 16
    lost = [error for error in crawl["errors"] if error["region"] == "eu-west-1"]
    assert {error["code"] for error in lost} == {"RegionNotFinished"}
    assert len({error["type"] for error in lost}) == 16  # every regional type
    _, health = api("GET", f"{path}/health")
    assert health["state"] == "degraded"
    stale = {s["type"]: s for s in health["stale"] if s["region"] == "eu-west-1"}
    assert len(stale) == 16 and stale["aws.ec2.instance"]["error_code"] == "RegionNotFinished"
    assert stale["aws.ec2.instance"]["last_success_at"]
    assert len(count_of(api, account["id"], region="eu-west-1", type="aws.ec2.instance")) == 2  # kept


def test_a_region_that_cannot_get_credentials_lists_nothing_and_says_why(api, estate):
    account, role = estate
    start = {"tenant_id": "tenant-a", "account_id": account["id"], "trigger": "manual"}
    run_crawl(account["id"])
    begin = tasks.begin_crawl({"workflow": start}, LambdaContext())
    tasks.plan_crawl(begin, LambdaContext())
    # The customer withdraws its trust between two regions of the crawl.
    nobody = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
        "Action": "sts:AssumeRole",
    }
    account_client("iam", role.account_id).update_assume_role_policy(
        RoleName=role.name, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [nobody]})
    )

    (region,) = tasks.crawl_segments(begin | {"segments": ["eu-west-1"]}, LambdaContext())["segments"]

    assert (region["segment"], region["status"], region["resources"]) == ("eu-west-1", "failed", 0)
    assert tasks.finish_crawl(begin, LambdaContext())["status"] in ("partial", "failed")
    _, health = api("GET", f"/v1/accounts/{account['id']}/health")
    codes = {(s["region"], s["error_code"]) for s in health["stale"]}
    assert ("eu-west-1", "AccessDenied") in codes
    assert len(count_of(api, account["id"], region="eu-west-1", type="aws.ec2.instance")) == 2  # kept


def test_a_crawl_that_never_finished_is_shown_failed_once_its_lock_ran_out(api, connected):
    from datetime import timedelta

    from skylight.logic.crawls import LOCK_DURATION

    account, _ = connected
    status, started = api("POST", f"/v1/accounts/{account['id']}/crawls")  # its execution never runs
    assert (status, started["status"]) == (202, "running")
    services = dependencies.services()
    real_clock = services.clock
    services.clock = lambda: real_clock() + LOCK_DURATION + timedelta(minutes=1)

    _, shown = api("GET", f"/v1/accounts/{account['id']}/crawls/{started['id']}")
    assert (shown["status"], shown["failure"]) == ("failed", "did_not_finish")
    _, listed = api("GET", f"/v1/accounts/{account['id']}/crawls")
    assert listed["items"][0]["status"] == "failed"
    # Its lock ran out too: a new crawl may begin.
    status, again = api("POST", f"/v1/accounts/{account['id']}/crawls")
    assert status == 202 and again["id"] != started["id"]


def test_what_a_region_no_longer_enabled_left_is_kept_and_marked_stale(api, estate):
    account, _ = estate
    run_crawl(account["id"])
    inventory = dependencies.services().inventory
    summary = inventory.summary("tenant-a", account["id"])
    kept = summary.segments["eu-west-1|aws.ec2.instance"]
    # As if af-south-1 had been enabled, and crawled, before the customer turned it off.
    summary.segments["af-south-1|aws.ec2.instance"] = kept.model_copy(update={"by_region": {"af-south-1": 2}})
    inventory.save_summary(summary)

    assert run_crawl(account["id"])["status"] == "succeeded"

    _, health = api("GET", f"/v1/accounts/{account['id']}/health")
    (stale,) = health["stale"]
    assert (stale["region"], stale["type"], stale["error_code"]) == (
        "af-south-1",
        "aws.ec2.instance",
        "RegionNotEnabled",
    )
    assert stale["last_success_at"] is not None  # from when it was last listed


def test_tags_of_functions_tables_and_buckets_come_from_one_tagging_listing_per_region(api, estate):
    account, _ = estate
    customer_table("eu-west-1", "orders", {"team": "data"})
    customer_function("us-east-1", "checkout", {"team": "web"})
    customer("s3", "ap-southeast-2").put_bucket_tagging(
        Bucket="logs-of-customer", Tagging={"TagSet": [{"Key": "team", "Value": "ops"}]}
    )
    throttler = Throttler(0.0, {"resource-groups-tagging-api"})  # counts the tagging calls only
    use_gateway_hooks(throttler.hooks())

    finished = run_crawl(account["id"])

    assert finished["status"] == "succeeded"
    tags = {item["name"]: item["tags"] for item in count_of(api, account["id"]) if item["name"]}
    assert (tags["orders"], tags["checkout"], tags["logs-of-customer"]) == (
        {"team": "data"},
        {"team": "web"},
        {"team": "ops"},
    )
    # One tagging listing in each region holding such resources (the function's, the table's, the
    # bucket's), none where there is nothing to tag, and none per resource; and the Validate step's
    # probe of tag:GetResources.
    assert throttler.calls == 3 + 1


def test_a_role_that_may_not_read_tags_shows_a_tag_permission_gap_and_keeps_its_items(api, estate):
    account, role = estate
    assert run_crawl(account["id"])["status"] == "succeeded"
    no_tags = {
        "Version": "2012-10-17",
        "Statement": [
            *INVENTORY_READ["Statement"],
            {"Effect": "Deny", "Action": ["tag:GetResources"], "Resource": "*"},
        ],
    }
    account_client("iam", role.account_id).put_role_policy(
        RoleName=role.name, PolicyName="skylight", PolicyDocument=json.dumps(no_tags)
    )

    assert run_crawl(account["id"])["status"] == "partial"

    _, health = api("GET", f"/v1/accounts/{account['id']}/health")
    # The bucket's tags come from the tagging API: its refusal is named after it, not after S3.
    assert {"tag:AccessDeniedException", "missing:tag:GetResources"} <= set(health["permission_gaps"])
    assert health["stale"] == []  # listed, and stored without its tags
    [bucket] = count_of(api, account["id"], type="aws.s3.bucket")
    assert (bucket["name"], bucket["tags"], bucket["stale"]) == ("logs-of-customer", {}, False)


def _writes(crawl):
    totals = {"puts": 0, "deletes": 0, "unchanged": 0}
    for region in crawl["regions"].values():
        for key in totals:
            totals[key] += region["writes"][key]
    return totals


def test_a_failing_service_makes_a_partial_crawl_that_keeps_its_items_and_marks_them_stale(api, estate):
    account, role = estate
    assert run_crawl(account["id"])["status"] == "succeeded"

    # The customer takes EC2 away from the role: listing EC2 is denied, everything else works.
    without_ec2 = {
        "Version": "2012-10-17",
        "Statement": [
            *INVENTORY_READ["Statement"],
            {"Effect": "Deny", "Action": ["ec2:DescribeInstances"], "Resource": "*"},
        ],
    }
    account_client("iam", role.account_id).put_role_policy(
        RoleName=role.name, PolicyName="skylight", PolicyDocument=json.dumps(without_ec2)
    )
    partial = run_crawl(account["id"])
    assert partial["status"] == "partial"

    _, crawl = api("GET", f"/v1/accounts/{account['id']}/crawls/{partial['crawl_id']}")
    denied = {(e["region"], e["type"], e["code"]) for e in crawl["errors"]}
    assert ("us-east-1", "aws.ec2.instance", "UnauthorizedOperation") in denied
    assert len(denied) == 17  # one per region, instances only

    kept = count_of(api, account["id"], type="aws.ec2.instance")
    assert len(kept) == 5  # kept, not wiped, and shown as last seen
    assert all(item["stale"] and item["last_success_at"] for item in kept)
    assert not any(item["stale"] for item in count_of(api, account["id"], type="aws.ec2.volume"))
    status, health = api("GET", f"/v1/accounts/{account['id']}/health")
    assert status == 200
    assert health["state"] == "degraded"
    stale = {(s["region"], s["type"]) for s in health["stale"]}
    assert ("eu-west-1", "aws.ec2.instance") in stale and len(stale) == 17
    assert all(s["last_success_at"] for s in health["stale"])
    assert "ec2:UnauthorizedOperation" in health["permission_gaps"]
    assert {e["code"] for e in health["errors"]} == {"UnauthorizedOperation"}
    assert health["last_crawl"]["status"] == "partial"


def test_one_crawl_at_a_time_a_second_request_gets_the_running_one(api, connected):
    account, _ = connected
    status, first = api("POST", f"/v1/accounts/{account['id']}/crawls")
    assert (status, first["status"]) == (202, "running")
    status, second = api("POST", f"/v1/accounts/{account['id']}/crawls")
    assert (status, second["id"]) == (200, first["id"])
    # The execution the API started adopts the crawl and releases the lock when it finishes.
    assert run_crawl(account["id"], crawl_id=first["id"])["status"] == "succeeded"
    status, third = api("POST", f"/v1/accounts/{account['id']}/crawls")
    assert status == 202 and third["id"] != first["id"]


def test_crawls_list_newest_first_with_cursors(api, connected):
    account, _ = connected
    start = {"tenant_id": "tenant-a", "account_id": account["id"], "trigger": "manual"}
    ids = []
    for _ in range(3):  # crawls that end before any region (enough to be listed)
        begin = tasks.begin_crawl({"workflow": start}, LambdaContext())
        ids.append(tasks.finish_crawl(begin | {"failure": "validation_failed"}, LambdaContext())["crawl_id"])
    status, page = api("GET", f"/v1/accounts/{account['id']}/crawls", query={"limit": "2"})
    assert status == 200 and [c["id"] for c in page["items"]] == ids[::-1][:2]
    status, rest = api(
        "GET", f"/v1/accounts/{account['id']}/crawls", query={"limit": "2", "cursor": page["next_cursor"]}
    )
    assert [c["id"] for c in rest["items"]] == ids[:1] and rest["next_cursor"] is None


def test_a_disconnected_account_is_never_called_again(api, estate):
    account, _ = estate
    begin = tasks.begin_crawl(
        {"workflow": {"tenant_id": "tenant-a", "account_id": account["id"], "trigger": "manual"}},
        LambdaContext(),
    )
    assert ["eu-west-1"] in tasks.plan_crawl(begin, LambdaContext())["batches"]
    tasks.crawl_segments(begin | {"segments": ["us-east-1"]}, LambdaContext())

    api("DELETE", f"/v1/accounts/{account['id']}")  # while the crawl is between two regions
    throttler = Throttler(0.0, {"ec2", "s3", "sts"})  # counts calls, throttles none
    use_gateway_hooks(throttler.hooks())
    with pytest.raises(tasks.AccountDisconnected):
        tasks.crawl_segments(begin | {"segments": ["eu-west-1"]}, LambdaContext())
    assert throttler.calls == 0
    finished = tasks.finish_crawl(begin | {"failure": "account_disconnected"}, LambdaContext())
    assert finished["status"] == "partial"
    # What was listed before stays readable until the account ages out.
    assert len(count_of(api, account["id"], region="us-east-1", type="aws.ec2.instance")) == 3
    status, health = api("GET", f"/v1/accounts/{account['id']}/health")
    assert (status, health["state"]) == (200, "disconnected")


def test_inventory_cursors_are_bound_to_their_account_and_filters(api, estate):
    account, _ = estate
    run_crawl(account["id"])
    path = f"/v1/accounts/{account['id']}/inventory"
    status, page = api("GET", path, query={"limit": "2"})
    assert status == 200 and len(page["items"]) == 2 and page["next_cursor"]
    status, error = api(
        "GET", path, query={"limit": "2", "type": "aws.s3.bucket", "cursor": page["next_cursor"]}
    )
    assert (status, error["error"]["code"]) == (400, "invalid_request")
    status, error = api("GET", path, query={"cursor": "bm90LWEtY3Vyc29y"})
    assert (status, error["error"]["fields"][0]["field"]) == (400, "cursor")
    status, error = api("GET", path, query={"type": "EC2 instances"})
    assert status == 400


def test_schedule_follows_the_account(api, connected):

    account, _ = connected
    scheduler = SESSION.client("scheduler")
    schedule = scheduler.get_schedule(Name=f"crawl-{account['id']}", GroupName="skylight-test-schedules")
    assert schedule["ScheduleExpression"] == "rate(360 minutes)"
    assert json.loads(schedule["Target"]["Input"]) == {
        "tenant_id": "tenant-a",
        "account_id": account["id"],
        "trigger": "schedule",
    }
    status, updated = api("PATCH", f"/v1/accounts/{account['id']}", {"crawl_interval_minutes": 15})
    assert (status, updated["crawl_interval_minutes"]) == (200, 15)
    schedule = scheduler.get_schedule(Name=f"crawl-{account['id']}", GroupName="skylight-test-schedules")
    assert schedule["ScheduleExpression"] == "rate(15 minutes)"
    status, error = api("PATCH", f"/v1/accounts/{account['id']}", {"crawl_interval_minutes": 5})
    assert (status, error["error"]["fields"][0]["field"]) == (400, "crawl_interval_minutes")

    # Gone behind the platform's back (or never made): an on-demand crawl makes it again.
    scheduler.delete_schedule(Name=f"crawl-{account['id']}", GroupName="skylight-test-schedules")
    assert api("POST", f"/v1/accounts/{account['id']}/crawls")[0] == 202
    schedule = scheduler.get_schedule(Name=f"crawl-{account['id']}", GroupName="skylight-test-schedules")
    assert schedule["ScheduleExpression"] == "rate(15 minutes)"

    api("DELETE", f"/v1/accounts/{account['id']}")
    names = [s["Name"] for s in scheduler.list_schedules(GroupName="skylight-test-schedules")["Schedules"]]
    assert f"crawl-{account['id']}" not in names


def test_an_access_key_account_is_crawled_like_a_role(api, key_account):
    account, key = key_account
    launch("us-east-1", 2, name="keyed")
    finished = run_crawl(account["id"])
    assert finished["status"] == "succeeded"
    names = [item["name"] for item in count_of(api, account["id"], type="aws.ec2.instance")]
    assert names == ["keyed", "keyed"]
    # The secret went nowhere near the crawl's records.
    _, crawl = api("GET", f"/v1/accounts/{account['id']}/crawls/{finished['crawl_id']}")
    assert key.secret_access_key not in json.dumps(crawl)


def test_the_plan_records_every_region_pending_and_a_region_records_its_start(api, connected):
    account, _ = connected
    start = {"tenant_id": "tenant-a", "account_id": account["id"], "trigger": "manual"}
    begin = tasks.begin_crawl({"workflow": start}, LambdaContext())
    batches = tasks.plan_crawl(begin, LambdaContext())["batches"]
    assert all(len(batch) == 1 for batch in batches)  # nothing recorded yet: any region may be large
    regions = [region for batch in batches for region in batch]

    _, planned = api("GET", f"/v1/accounts/{account['id']}/crawls/{begin['crawl_id']}")
    assert sorted(planned["regions"]) == sorted(regions) and len(regions) > 1
    assert {region["status"] for region in planned["regions"].values()} == {"pending"}
    assert planned["regions"]["global"]["types_total"] == 1
    assert planned["regions"]["us-east-1"]["types_total"] == 16

    (listed,) = tasks.crawl_segments(begin | {"segments": ["us-east-1"]}, LambdaContext())["segments"]

    _, shown = api("GET", f"/v1/accounts/{account['id']}/crawls/{begin['crawl_id']}")
    region = shown["regions"]["us-east-1"]
    assert region["status"] == listed["status"] == "succeeded"
    assert region["started_at"] and region["finished_at"] and region["types_done"] == 16
    assert shown["regions"]["eu-west-1"]["status"] == "pending"


def test_the_plan_puts_the_regions_that_held_the_most_first(api, estate):
    account, _ = estate
    run_crawl(account["id"])

    start = {"tenant_id": "tenant-a", "account_id": account["id"], "trigger": "manual"}
    begin = tasks.begin_crawl({"workflow": start}, LambdaContext())
    batches = tasks.plan_crawl(begin, LambdaContext())["batches"]

    # us-east-1 held 3 instances and their volumes, eu-west-1 2, every region its default network,
    # the global segment one bucket: all small, so three even batches, the largest spread over them.
    assert [len(batch) for batch in batches] == [6, 6, 6]
    assert [batch[0] for batch in batches[:2]] == ["us-east-1", "eu-west-1"]
    assert batches[-1][-1] == "global"
    regions = [region for batch in batches for region in batch]
    assert len(set(regions)) == len(regions) == 18
    # Each batch lists all its regions, and says how each went.
    for batch in batches:
        listed = tasks.crawl_segments(begin | {"segments": batch}, LambdaContext())["segments"]
        assert [(segment["segment"], segment["status"]) for segment in listed] == [
            (r, "succeeded") for r in batch
        ]
    assert tasks.finish_crawl(begin, LambdaContext())["status"] == "succeeded"
    _, shown = api("GET", f"/v1/accounts/{account['id']}/crawls/{begin['crawl_id']}")
    assert sorted(shown["regions"]) == sorted(regions)
    assert {region["status"] for region in shown["regions"].values()} == {"succeeded"}
