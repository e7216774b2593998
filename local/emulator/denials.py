"""Access-denied responses that look like the real service's.

moto's `AccessDeniedError` always renders as a query-protocol `AccessDenied` with HTTP 403, which is
wrong for EC2 (`UnauthorizedOperation`), Lambda and the other JSON services (`AccessDeniedException`).
Here the error is serialized with moto's own protocol-aware serializer for the service at hand (so
EC2 XML, query XML, REST-XML, JSON and CBOR bodies all come out right) and sent with HTTP 403.
"""

from __future__ import annotations

from typing import Any

from moto.core import errors
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import get_service_model
from werkzeug.exceptions import HTTPException

_COMMON_DENIAL_CODES = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


def register_common_codes() -> None:
    """Tell moto the access-denied codes are common errors, as AWS documents them.

    Service models omit them, and moto warns on every error whose code is not in the model unless
    it is listed in `moto.core.errors.COMMON_ERROR_CODES`.
    """
    for code in _COMMON_DENIAL_CODES:
        if code not in errors.COMMON_ERROR_CODES:
            errors.COMMON_ERROR_CODES.append(code)


class EmulatedAccessDenied(ServiceException):
    """The error a service would return; only ever serialized, never seen by clients as such."""


class ServiceDenial(HTTPException):
    """A fully rendered error response, raised from inside moto's request handling.

    moto turns an `HTTPException` raised by a handler or by its authorization hook into the response
    (`code` is the status, `description` the body) in both the in-process mock and the server.
    """

    def __init__(self, status: int, headers: dict[str, str], body: str | bytes, error_code: str) -> None:
        super().__init__()
        self.code = status
        self.description = body  # type: ignore[assignment]
        self.error_code = error_code
        self._headers = headers

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        """The protocol's headers (content type, error type), as werkzeug expects them."""
        return list(self._headers.items())

    def get_body(self, *args: Any, **kwargs: Any) -> str:
        """The serialized error (as text; binary CBOR bodies only travel through `description`)."""
        body = self.description
        return body.decode(errors="replace") if isinstance(body, bytes) else str(body)


def denial_code(response: BaseResponse) -> str:
    """The error code the service uses for an authorization failure."""
    metadata = get_service_model(response.boto3_service_name).metadata
    protocol = metadata.get("protocol", "")
    if protocol == "ec2":
        return "UnauthorizedOperation"
    if protocol in ("query", "rest-xml") or metadata.get("awsQueryCompatible") is not None:
        return "AccessDenied"
    return "AccessDeniedException"


def deny(response: BaseResponse, message: str, code: str | None = None) -> ServiceDenial:
    """Render `message` as the service's access-denied error for the request `response` handles."""
    error_code = code or denial_code(response)
    _, headers, body = response.serialized(ActionResult(EmulatedAccessDenied(error_code, message)))
    headers = {k: str(v) for k, v in headers.items() if k.lower() not in ("status", "server", "date")}
    return ServiceDenial(403, headers, body, error_code)


def not_authorized_message(caller_arn: str, action: str, resource: str | None, explicit: bool) -> str:
    """The wording AWS uses when an identity policy does not allow an action."""
    on = f" on resource: {resource}" if resource else ""
    why = (
        "with an explicit deny in an identity-based policy"
        if explicit
        else f"because no identity-based policy allows the {action} action"
    )
    return f"User: {caller_arn} is not authorized to perform: {action}{on} {why}"
