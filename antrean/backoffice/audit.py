"""The audit log: one entry per officer action, in the same transaction as the action."""

from datetime import datetime

from antrean.backoffice.models import AuditEntry
from antrean.web.common import client_ip


def record(request, action: str, *, now: datetime, booking_code: str = "", target="", **detail):
    staff = request.staff
    AuditEntry.objects.create(
        at=now,
        username=request.user.get_username(),
        role=staff.role,
        office=request.office,
        action=action,
        booking_code=booking_code or "",
        target=str(target)[:80],
        detail={k: v for k, v in detail.items() if v not in (None, "")},
        ip=client_ip(request),  # behind nginx, the address nginx saw
    )
