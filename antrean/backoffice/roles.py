"""Who may do what in the back office. Plain Python: the views ask, tests enumerate."""

from enum import StrEnum


class Role(StrEnum):
    HQ = "hq"  # headquarters admin: every office
    SUPERVISOR = "supervisor"  # one office: capacities, closures, content, staff, overrides
    OFFICER = "officer"  # one office: check-in, calling, statuses


class Can(StrEnum):
    SEE_DAY = "see_day"  # today's queue, a booking's details (personal data included)
    CHECK_IN = "check_in"
    WORK_COUNTER = "work_counter"  # call, recall, transfer, served, no-show
    SET_STAGE = "set_stage"
    OVERRIDE_LATE = "override_late"  # let a late applicant in, with a reason
    ANSWER_FEEDBACK = "answer_feedback"  # complaints may be about the officers themselves
    CHANGE_SETTINGS = "change_settings"  # capacities, hours, closures, message content
    MANAGE_STAFF = "manage_staff"
    SEE_STATISTICS = "see_statistics"
    SEE_AUDIT = "see_audit"
    ALL_OFFICES = "all_offices"


_OFFICER = frozenset({Can.SEE_DAY, Can.CHECK_IN, Can.WORK_COUNTER, Can.SET_STAGE})
_SUPERVISOR = _OFFICER | {
    Can.OVERRIDE_LATE,
    Can.ANSWER_FEEDBACK,
    Can.CHANGE_SETTINGS,
    Can.MANAGE_STAFF,
    Can.SEE_STATISTICS,
    Can.SEE_AUDIT,
}
ALLOWED: dict[Role, frozenset[Can]] = {
    Role.OFFICER: _OFFICER,
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.HQ: frozenset(_SUPERVISOR | {Can.ALL_OFFICES}),
}

# Roles a supervisor may give to the accounts they create: never more than their own.
GRANTABLE: dict[Role, frozenset[Role]] = {
    Role.OFFICER: frozenset(),
    Role.SUPERVISOR: frozenset({Role.OFFICER, Role.SUPERVISOR}),
    Role.HQ: frozenset({Role.OFFICER, Role.SUPERVISOR, Role.HQ}),
}


def can(role: Role | str | None, what: Can) -> bool:
    return role is not None and what in ALLOWED.get(Role(role), frozenset())
