"""Booking statuses and the moves between them."""

from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"  # code issued, not yet confirmed; holds its seat until confirm_by
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    SERVED = "served"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # lapsed unconfirmed, or arrived too late: the code is void
    NO_SHOW = "no_show"
    WAITLISTED = "waitlisted"  # wants a full day; holds no seat until one is offered


# A person may hold one of these at a time (per phone and per NIK).
LIVE = frozenset({Status.PENDING, Status.CONFIRMED, Status.CHECKED_IN})

# Bookings in these statuses count against the capacity of their hour and day. A booking
# leaving this set gives its seats back; one entering it takes them.
HOLDS_SEATS = frozenset(
    {Status.PENDING, Status.CONFIRMED, Status.CHECKED_IN, Status.SERVED, Status.NO_SHOW}
)

TRANSITIONS: dict[Status, frozenset[Status]] = {
    # pending -> waitlisted: moved to a later day because the asked one was full, the
    # applicant chose to wait for the asked day instead.
    Status.PENDING: frozenset(
        {Status.CONFIRMED, Status.CANCELLED, Status.EXPIRED, Status.WAITLISTED}
    ),
    Status.CONFIRMED: frozenset(
        {Status.CHECKED_IN, Status.CANCELLED, Status.EXPIRED, Status.NO_SHOW}
    ),
    Status.CHECKED_IN: frozenset({Status.SERVED, Status.NO_SHOW}),
    # waitlisted -> pending: a freed seat is offered, to be claimed (confirmed) in time.
    Status.WAITLISTED: frozenset({Status.PENDING, Status.CANCELLED, Status.EXPIRED}),
    Status.SERVED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.EXPIRED: frozenset(),
    Status.NO_SHOW: frozenset(),
}


def frees_seats(old: Status, new: Status) -> bool:
    return old in HOLDS_SEATS and new not in HOLDS_SEATS


class Stage(StrEnum):
    """Where an application stands after the applicant came to the office, in order."""

    DOCUMENTS_VERIFIED = "documents_verified"
    INTERVIEW = "interview"
    PAYMENT = "payment"
    PRINTING = "printing"
    READY = "ready"  # ready for pickup
    PICKED_UP = "picked_up"


STAGES = tuple(Stage)

# Stages belong to applicants who came: checked in (at the counter now) or served.
HAS_STAGES = frozenset({Status.CHECKED_IN, Status.SERVED})


def stage_allowed(status: Status, current: Stage | None, new: Stage) -> bool:
    """An officer may move an application to any other stage, back included (a slip of the
    hand is corrected the same way), but only once the applicant came, and a passport
    that was picked up stays picked up."""
    if status not in HAS_STAGES or current == new:
        return False
    return current != Stage.PICKED_UP
