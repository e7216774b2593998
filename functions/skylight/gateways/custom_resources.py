"""Answering CloudFormation about a custom resource: a PUT of the outcome to the pre-signed URL."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

#: CloudFormation waits up to an hour for an answer; a slow PUT must not hold the function that long.
RESPONSE_TIMEOUT_S = 30


def send_response(response_url: str, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    # The pre-signed URL was signed for an empty Content-Type.
    request = urllib.request.Request(  # noqa: S310 - CloudFormation's own https URL
        response_url, data=data, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(data))}
    )
    with urllib.request.urlopen(request, timeout=RESPONSE_TIMEOUT_S):  # noqa: S310
        pass
