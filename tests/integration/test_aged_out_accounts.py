"""When DynamoDB's TTL removes an aged-out account, everything it left behind goes with it."""

from skylight.handlers.events.aged_out import purge_aged_out_accounts
from tests.integration.conftest import SESSION, TABLE, stored_items
from tests.integration.crawling import run_crawl
from tests.support import LambdaContext


def stream_record(tenant, account_id, principal="dynamodb.amazonaws.com", event="REMOVE"):
    """The stream record DynamoDB writes when its TTL process deletes an account item."""
    record = {
        "eventName": event,
        "dynamodb": {"Keys": {"pk": {"S": f"TENANT#{tenant}"}, "sk": {"S": f"ACCOUNT#{account_id}"}}},
    }
    if principal:
        record["userIdentity"] = {"type": "Service", "principalId": principal}
    return record


def items_about(account_id):
    items = stored_items()
    return [item for item in items if account_id in item["pk"]["S"] + item["sk"]["S"]]


def test_ttl_removal_of_an_account_purges_its_inventory_summary_and_history(api, connected):
    account, _ = connected
    run_crawl(account["id"])
    api("DELETE", f"/v1/accounts/{account['id']}")
    assert len(items_about(account["id"])) > 20  # retained: resources, summary, crawls

    # A user's delete or an update is not TTL: nothing is purged.
    ignored = [
        stream_record("tenant-a", account["id"], principal=None),
        stream_record("tenant-a", account["id"], event="MODIFY"),
    ]
    assert purge_aged_out_accounts({"Records": ignored}, LambdaContext()) == {"purged": 0}
    assert len(items_about(account["id"])) > 20

    # TTL removes the account item (moto never runs TTL: done here), then the stream delivers it.
    SESSION.client("dynamodb").delete_item(
        TableName=TABLE, Key={"pk": {"S": "TENANT#tenant-a"}, "sk": {"S": f"ACCOUNT#{account['id']}"}}
    )
    result = purge_aged_out_accounts({"Records": [stream_record("tenant-a", account["id"])]}, LambdaContext())

    assert result == {"purged": 1}
    assert items_about(account["id"]) == []
