"""Which credentials signed each call the gateway made, and when: to tell calls made as the platform
principal from calls made with a customer role's own credentials."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/")


@dataclass(frozen=True)
class SignedCall:
    operation: str
    access_key_id: str
    #: For AssumeRole: the role, and whether it named an External ID.
    role_arn: str
    external_id: bool
    started: float
    ended: float


class SignedCalls:
    """botocore hooks for a gateway: every call with its signing key, start and end; and the keys
    AssumeRole handed out for roles other than `platform_principal_arn` (the customer's role)."""

    def __init__(self, platform_principal_arn: str) -> None:
        self.calls: list[SignedCall] = []
        self.role_keys: set[str] = set()
        self._platform_principal_arn = platform_principal_arn
        self._open: dict[int, tuple[str, str, bool, float]] = {}
        self._lock = threading.Lock()

    def hooks(self) -> tuple[tuple[str, Any], ...]:
        return (("before-send", self._before_send), ("after-call", self._after_call))

    def _before_send(self, request: Any, **_: Any) -> None:
        found = _CREDENTIAL.search(str(request.headers.get("Authorization", "")))
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        form = parse_qs(body)
        with self._lock:
            self._open[threading.get_ident()] = (
                found.group(1) if found else "",
                (form.get("RoleArn") or [""])[0],
                "ExternalId" in form,
                time.monotonic(),
            )

    def _after_call(self, model: Any, parsed: Any = None, **_: Any) -> None:
        with self._lock:
            key, role_arn, external_id, started = self._open.pop(
                threading.get_ident(), ("", "", False, time.monotonic())
            )
            self.calls.append(SignedCall(model.name, key, role_arn, external_id, started, time.monotonic()))
            granted = isinstance(parsed, dict) and "Credentials" in parsed
            if model.name == "AssumeRole" and granted and role_arn != self._platform_principal_arn:
                self.role_keys.add(parsed["Credentials"]["AccessKeyId"])

    def with_role_credentials(self, role_keys: set[str] | None = None) -> list[SignedCall]:
        """Calls signed with credentials an AssumeRole of the customer's role returned."""
        keys = self.role_keys if role_keys is None else role_keys
        return [call for call in self.calls if call.access_key_id in keys]
