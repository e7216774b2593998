"""The secret values of every step are searched for in logs, responses and the table: never found."""

import json
import logging

import boto3

from tests.integration.conftest import TABLE
from tests.support import CUSTOMER_ACCOUNT, access_key_body, access_key_credentials, create_user_key


def test_no_secret_in_any_response_log_line_or_stored_item(api, capsys, caplog):
    # The customer creates its keys (its own calls are not Skylight's to log).
    first = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    second_user = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader-2")
    capsys.readouterr()
    caplog.set_level(
        logging.DEBUG
    )  # from here on everything, including botocore's request and response bodies
    responses = []

    def call(*args, **kwargs):
        responses.append(api(*args, **kwargs))
        return responses[-1]

    wrong_secret = "Wr0ng/Secret+Value=" + "x" * 21
    account = call("POST", "/v1/accounts", access_key_body(first))[1]
    path = f"/v1/accounts/{account['id']}"
    call("POST", "/v1/accounts", access_key_body(first, secret=wrong_secret, name="again"))
    call("PUT", f"{path}/credentials", {"credentials": access_key_credentials(first, secret=wrong_secret)})
    second = second_user
    call("PUT", f"{path}/credentials", {"credentials": access_key_credentials(second)})
    call("POST", f"{path}/test")
    call("GET", "/v1/accounts")
    call("GET", f"{path}/health")
    call("GET", "/v1/credentials/rotation")
    call("DELETE", path)
    call("POST", f"{path}/restore", {"credentials": access_key_credentials(second, secret=wrong_secret)})
    call("POST", f"{path}/restore", {"credentials": access_key_credentials(second)})
    call("GET", "/v1/audit")
    call(
        "POST",
        "/v1/accounts",
        {
            "provider": "aws",
            "name": "x",
            "credentials": {"type": "access_key", "secret_access_key": wrong_secret},
        },
    )

    assert [status for status, _ in responses] == [
        201,
        409,
        422,
        200,
        200,
        200,
        200,
        200,
        200,
        422,
        200,
        200,
        400,
    ]
    captured = capsys.readouterr()
    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=TABLE)["Items"]
    haystacks = {
        "responses": json.dumps(responses),
        "stdout": captured.out,
        "stderr": captured.err,
        "log records": "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records),
        "table": json.dumps(items, default=str),
    }
    assert len(haystacks["log records"]) > 1000  # the logs were really captured
    leaks = [
        (where, secret[:4])
        for secret in (first.secret_access_key, second.secret_access_key, wrong_secret)
        for where, text in haystacks.items()
        if secret in text
    ]
    assert leaks == []
