"""/v1/audit: the tenant's audit trail (admin only)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from skylight.handlers.api.routes.common import Cursor, Limit, current_caller, documented, ok
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
    operation_id="list_audit",
    responses=documented(ok("a page of the audit trail, newest first"), 400),
)
def list_audit(limit: Limit = 50, cursor: Cursor = None) -> AuditListOut:
    caller = current_caller(router, "admin")
    page = audit_trail(services(), caller, limit, cursor)
    return AuditListOut(
        items=[AuditEntryOut.model_validate(entry.model_dump()) for entry in page.items],
        next_cursor=page.next_cursor,
    )
