"""A resource deleted between its listing and its detail call is simply gone, not an error."""

from skylight.providers.aws.resources import Location
from tests.integration.conftest import SESSION
from tests.integration.resources.builders import module

LOCATION = Location(account_id="123456789012", region="us-east-1")


def delete_before(client, operation, about, delete):
    """Delete the resource just before the detail call about it (`about(params)`) is made (once).

    Keyed to the call about that resource, not to the first detail call: detail calls run several
    at once, so the call about it may already be out when another one starts."""
    done = []

    def hook(params, **_):
        if not done and about(params):
            done.append(True)
            delete()

    client.meta.events.register(f"before-parameter-build.*.{operation}", hook)


def test_a_table_deleted_while_listing_is_skipped():
    client = SESSION.client("dynamodb")
    for name in ("kept", "gone"):
        client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    other = SESSION.client("dynamodb")
    delete_before(
        client,
        "DescribeTable",
        lambda params: params["TableName"] == "gone",
        lambda: other.delete_table(TableName="gone"),
    )

    tables = [
        module("aws.dynamodb.table").transform(raw, LOCATION)
        for raw in module("aws.dynamodb.table").fetch(client)
    ]

    assert [table.name for table in tables] == ["kept"]
