"""The tenant's audit trail: who did what, when, and how it ended."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger

from skylight.dal.base import Page
from skylight.logic.services import Services
from skylight.models.domain import AuditEntry, Caller
from skylight.models.errors import SkylightError

logger = Logger(child=True)

SUCCESS = "success"


class Recording:
    """What the action fills in while it runs (its target once known, non-secret details)."""

    def __init__(self, target: str | None) -> None:
        self.target = target
        self.details: dict[str, Any] = {}


@contextmanager
def recorded(
    services: Services, caller: Caller, action: str, target: str | None = None
) -> Iterator[Recording]:
    """Record `action` with its outcome: `success`, or the error code it ended with (then re-raised)."""
    recording = Recording(target)
    outcome = SUCCESS
    try:
        yield recording
    except SkylightError as error:
        outcome = error.code
        raise
    except Exception:
        outcome = "internal_error"
        raise
    finally:
        _record(services, caller, action, recording, outcome)


def _record(services: Services, caller: Caller, action: str, recording: Recording, outcome: str) -> None:
    entry = AuditEntry(
        tenant_id=caller.tenant_id,
        at=services.clock(),
        actor=caller.subject,
        action=action,
        target=recording.target,
        outcome=outcome,
        details=recording.details,
    )
    try:
        services.audit.record(entry)
    except Exception:
        # The action itself happened (or failed) either way; losing its audit entry must be visible.
        logger.exception(
            "could not record the audit entry", extra={"action": action, "target": recording.target}
        )


def audit_trail(services: Services, caller: Caller, limit: int, cursor: str | None) -> Page[AuditEntry]:
    return services.audit.list(caller.tenant_id, limit, cursor)
