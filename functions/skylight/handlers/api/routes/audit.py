"""/v1/audit: the tenant's audit trail (admin only)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from skylight.handlers.api.routes.common import current_caller, error_responses
from skylight.handlers.dependencies import services
from skylight.logic.audit import audit_trail
from skylight.models.api import AuditEntryOut, AuditListOut

router = Router()


@router.get(
    "/v1/audit",
    summary="Audit trail",
    description="Every connect, test, credential change, External ID rotation, disconnect and restore: who "
    "(token subject), when, what, outcome. Newest first.",
    tags=["audit"],
    responses=error_responses(400, 401, 403),
)
def list_audit(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> AuditListOut:
    caller = current_caller(router, "admin")
    page = audit_trail(services(), caller, limit, cursor)
    return AuditListOut(
        items=[AuditEntryOut.model_validate(entry.model_dump()) for entry in page.items],
        next_cursor=page.next_cursor,
    )
