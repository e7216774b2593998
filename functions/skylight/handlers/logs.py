"""Logging set-up shared by every function: what the AWS SDK may write to the logs.

At DEBUG, botocore logs every request and response body: KMS GenerateDataKey's answer carries the
plaintext data key, and DynamoDB's requests the ciphertext it encrypts, so the logs alone would
rebuild a stored secret. The SDK's loggers are therefore held at WARNING whatever the function's
log level (POWERTOOLS_LOG_LEVEL, Lambda's log level): our own logs may go to DEBUG, the wire never.
"""

from __future__ import annotations

import logging

# Every library that logs what goes over the wire: the SDK, its HTTP client, and the DynamoDB mapper
# (which logs each call's arguments, the items' attributes included, at DEBUG).
WIRE_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "pynamodb")
WIRE_LOG_LEVEL = logging.WARNING


def keep_wire_data_out_of_logs() -> None:
    # Their child loggers (botocore.endpoint, botocore.parsers, ...) inherit this level.
    for name in WIRE_LOGGERS:
        logging.getLogger(name).setLevel(WIRE_LOG_LEVEL)
