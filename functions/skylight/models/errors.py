"""Domain errors. Each carries its HTTP status and a stable snake_case code, mapped once in the API."""

from __future__ import annotations

from typing import Any


class SkylightError(Exception):
    """Base of every error a client may see; never carries secrets or stack traces."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        """The `{"error": {...}}` document returned to clients."""
        return {"error": {"code": self.code, "message": self.message, **self.details}}

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries besides its content type."""
        return {}


class InvalidRequest(SkylightError):
    status = 400
    code = "invalid_request"

    def __init__(self, message: str, fields: list[dict[str, str]], **details: Any) -> None:
        super().__init__(message, fields=fields, **details)
        self.fields = fields


class Unauthorized(SkylightError):
    status = 401
    code = "unauthorized"


class Forbidden(SkylightError):
    status = 403
    code = "forbidden"


class NotFound(SkylightError):
    status = 404
    code = "not_found"


class MethodNotAllowed(SkylightError):
    """The path exists, the method does not: `Allow` (a response header) lists those that do."""

    status = 405
    code = "method_not_allowed"


class AlreadyConnected(SkylightError):
    status = 409
    code = "already_connected"


class Conflict(SkylightError):
    status = 409
    code = "conflict"


class AccountDisconnected(SkylightError):
    status = 409
    code = "account_disconnected"


class AccountNotDisconnected(SkylightError):
    status = 409
    code = "account_not_disconnected"


class ExternalIdInUse(SkylightError):
    """Completing an External ID rotation would cut off accounts that still work only with the old ID."""

    status = 409
    code = "external_id_in_use"


class ExternalIdRotationInProgress(SkylightError):
    status = 409
    code = "external_id_rotation_in_progress"


class NoExternalIdRotation(SkylightError):
    status = 409
    code = "no_external_id_rotation"


class CredentialsUnavailable(SkylightError):
    """Stored credentials could not be opened; the message never says more than that."""

    status = 500
    code = "credentials_unavailable"


class ValidationFailed(SkylightError):
    """A connection could not be validated; `code` names the precise reason."""

    status = 422

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.code = code


class RetryLater(SkylightError):
    status = 503
    code = "retry_later"


class RateLimited(SkylightError):
    """A per-tenant limit was reached: nothing was done or stored; `retry_after` seconds say when to retry."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, limit: str, retry_after: int, **details: Any) -> None:
        super().__init__(message, limit=limit, retry_after_seconds=retry_after, **details)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
