"""The secret values of every step are searched for in logs, responses and the table: never found."""

import base64
import json
import logging
import os
import subprocess
import sys

from skylight.vault.envelope import Vault
from skylight.vault.kms import KmsDataKeys
from tests.integration.conftest import stored_items
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
    items = stored_items()
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


def spellings(value: bytes) -> list[str]:
    """How bytes may show in a log line: base64 (JSON bodies), hex, Python's repr (`%r` of bytes)."""
    return [base64.b64encode(value).decode(), value.hex(), repr(value)[2:-1]]


class VaultSpy:
    """Keeps a copy of every data key the vault gets from KMS and of every secret it seals, as they
    are made (the vault wipes its own copies as soon as it is done with them)."""

    def __init__(self, monkeypatch) -> None:
        self.data_keys: list[bytes] = []
        self.sealed: list[bytes] = []
        generate, decrypt, seal = KmsDataKeys.generate, KmsDataKeys.decrypt, Vault.seal

        def spied_generate(keys, context):
            key = generate(keys, context)
            self.data_keys.append(bytes(key.plaintext))
            return key

        def spied_decrypt(keys, encrypted, context):
            key = decrypt(keys, encrypted, context)
            self.data_keys.append(bytes(key))
            return key

        def spied_seal(vault, *args, **kwargs):
            sealed = seal(vault, *args, **kwargs)
            self.sealed += [sealed.ciphertext, sealed.encrypted_data_key]
            return sealed

        monkeypatch.setattr(KmsDataKeys, "generate", spied_generate)
        monkeypatch.setattr(KmsDataKeys, "decrypt", spied_decrypt)
        monkeypatch.setattr(Vault, "seal", spied_seal)


def test_no_data_key_or_ciphertext_in_any_log_even_at_debug(api, capsys, caplog, monkeypatch):
    # A function configured to log everything: its own loggers and Lambda's root logger at DEBUG.
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    first = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    second = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    spy = VaultSpy(monkeypatch)
    capsys.readouterr()
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="skylight")

    status, account = api("POST", "/v1/accounts", access_key_body(first))
    assert status == 201
    path = f"/v1/accounts/{account['id']}"
    assert api("PUT", f"{path}/credentials", {"credentials": access_key_credentials(second)})[0] == 200
    assert api("POST", f"{path}/test")[1]["result"] == "connected"  # opens the rotated key

    assert len(spy.data_keys) >= 3 and len(spy.sealed) == 4  # two seals, one open of each
    captured = capsys.readouterr()
    haystacks = {
        "stdout": captured.out,
        "stderr": captured.err,
        "log records": "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records),
    }
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # DEBUG records were captured
    needles = {
        "data key": [text for key in spy.data_keys for text in spellings(key)],
        "sealed secret": [text for blob in spy.sealed for text in spellings(blob)],
        "secret": [first.secret_access_key, second.secret_access_key],
    }
    leaks = [
        (what, where)
        for what, texts in needles.items()
        for text in texts
        for where, haystack in haystacks.items()
        if text in haystack
    ]
    assert leaks == []


def test_a_cold_start_at_debug_keeps_the_sdk_from_logging_the_wire():
    # A fresh process, as Lambda starts one: root logger and Powertools at DEBUG, then the handlers.
    script = (
        "import logging; logging.basicConfig(level=logging.DEBUG)\n"
        "import skylight.handlers.api.app, skylight.handlers.workflow.tasks\n"
        "import skylight.handlers.events.aged_out\n"
        "names = ['botocore.endpoint', 'botocore.parsers', 'boto3.resources', 'urllib3.connectionpool',\n"
        "         's3transfer.tasks', 'pynamodb.connection.base']\n"
        "print(min(logging.getLogger(name).getEffectiveLevel() for name in names))\n"
    )
    environment = {**os.environ, "POWERTOOLS_LOG_LEVEL": "DEBUG", "PYTHONPATH": "functions"}
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    )
    assert int(result.stdout.strip()) >= logging.WARNING


def test_no_sts_session_secret_or_data_key_in_any_response_log_line_or_stored_item(api, capsys, caplog):
    from tests.integration.crawling import run_crawl
    from tests.secrets_seen import leaks, recorded_data_keys, sts_session_secrets
    from tests.support import create_customer_role, trust_policy

    # Given a role account and a key account, connected, tested and crawled, everything logged
    role = create_customer_role(
        CUSTOMER_ACCOUNT,
        "Skylight",
        trust_policy(external_id=api("GET", "/v1/onboarding/aws")[1]["external_id"]),
    )
    key = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    capsys.readouterr()
    caplog.set_level(logging.DEBUG)
    with recorded_data_keys() as data_keys:
        responses = []
        for body in (
            {"provider": "aws", "name": "r", "credentials": {"type": "role", "role_arn": role.arn}},
            access_key_body(key),
        ):
            status, account = api("POST", "/v1/accounts", body)
            assert status == 201, account
            responses += [account, api("POST", f"/v1/accounts/{account['id']}/test")[1]]
            run_crawl(account["id"])
            responses += [api("GET", f"/v1/accounts/{account['id']}/health")[1]]

    # Then none of the sessions STS issued, nor any data key KMS gave out, shows anywhere
    sessions = sts_session_secrets()
    assert len(sessions) >= 6 and len(data_keys.plaintexts) >= 2  # roles assumed, the key opened
    captured = capsys.readouterr()
    haystacks = {
        "responses": json.dumps(responses),
        "stdout": captured.out,
        "stderr": captured.err,
        "log records": "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records),
        "table": json.dumps(stored_items(), default=str),
    }
    assert leaks({"sts session": sessions, "data key": data_keys.spelled()}, haystacks) == []
