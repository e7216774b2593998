"""Every item model reaches DynamoDB through one client per process, built before any thread asks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from skylight.dal import dynamodb, dynamodb_inventory
from skylight.dal.dynamodb import DynamoAccountRepository
from skylight.dal.dynamodb_inventory import DynamoCrawlRepository, DynamoInventoryRepository
from skylight.handlers.dependencies import cursor_signer
from tests.integration.conftest import TABLE

MODELS = (*dynamodb._MODELS, *dynamodb_inventory._MODELS)


def test_every_model_and_every_thread_use_the_same_client(aws):
    cursors = cursor_signer()
    DynamoAccountRepository(TABLE, "us-east-1", cursors)
    DynamoInventoryRepository(TABLE, "us-east-1", cursors)
    DynamoCrawlRepository(TABLE, "us-east-1", cursors)

    def client_seen_by_a_listing_thread(model):
        model.count("no-such-pk")  # a real request from this thread
        return model._get_connection().connection.client

    with ThreadPoolExecutor(max_workers=len(MODELS)) as pool:
        clients = set(map(id, pool.map(client_seen_by_a_listing_thread, MODELS)))
    assert len(clients) == 1
