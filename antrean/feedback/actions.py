"""The one place tickets and satisfaction surveys are written."""

from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction

from antrean.booking.errors import BookingNotFound
from antrean.booking.lifecycle import Status
from antrean.booking.models import Booking
from antrean.feedback.errors import CommentTooLong, InvalidScores, NotServed, NotYourBooking
from antrean.feedback.models import ELEMENTS, SCORE_FIELDS, SCORES, Survey, Ticket, TicketReply
from antrean.offices.models import Office

COMMENT_MAX = 1000


@transaction.atomic
def file_ticket(
    *, office: Office, phone: str, kind: str, text: str, now: datetime, whatsapp_number: str = ""
) -> Ticket:
    ticket = Ticket.objects.create(
        office=office,
        phone=phone,
        kind=kind,
        text=text.strip(),
        created_at=now,
        whatsapp_number=whatsapp_number,
    )
    # A number people can read out on the phone: month and a running number.
    ticket.number = f"T-{now:%y%m}-{ticket.pk:05d}"
    ticket.save(update_fields=["number"])
    return ticket


REPLY_MAX = 900  # WhatsApp's template parameters and our message body both stay inside this


class EmptyReply(ValueError):
    pass


@transaction.atomic
def reply(*, ticket: Ticket, text: str, by: str, now: datetime, send) -> TicketReply:
    """Record an officer's answer and mark the ticket answered. `send(ticket, text)` writes
    the WhatsApp message in this same transaction: recorded and sent, or neither."""
    text = text.strip()
    if not text:
        raise EmptyReply()
    answer = TicketReply.objects.create(
        ticket=ticket, text=text[:REPLY_MAX], by=by[:150], at=now, sent=send(ticket, text)
    )
    Ticket.objects.filter(pk=ticket.pk).update(state=Ticket.State.ANSWERED)
    ticket.state = Ticket.State.ANSWERED
    return answer


def set_state(*, ticket: Ticket, state: str) -> Ticket:
    if state not in Ticket.State.values:
        raise ValueError(state)
    Ticket.objects.filter(pk=ticket.pk).update(state=state)
    ticket.state = state
    return ticket


@transaction.atomic
def record_survey(
    *, booking_code: str, phone: str, scores: Sequence[int], comment: str, now: datetime
) -> Survey:
    """Store the satisfaction survey of a served booking, answered from its own number.

    One answer per booking: answering again returns the first answer unchanged (with
    `fresh` False). Refusals are `SurveyError`s (or `BookingNotFound`), worded by `explain`.
    """
    scores = tuple(scores)
    if len(scores) != len(ELEMENTS) or any(
        type(score) is not int or score not in SCORES for score in scores
    ):
        raise InvalidScores(count=len(scores), expected=len(ELEMENTS))
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise CommentTooLong(length=len(comment), maximum=COMMENT_MAX)
    booking = Booking.objects.filter(code=booking_code).first()
    if booking is None:
        raise BookingNotFound()
    if booking.phone != phone:  # checked before the status: a stranger learns nothing of it
        raise NotYourBooking(code=booking_code)
    if booking.status != Status.SERVED:
        raise NotServed(code=booking_code, status=booking.status)
    first = _answer_of(booking)
    if first is not None:
        return first
    try:
        with transaction.atomic():  # a savepoint: losing a race keeps our transaction usable
            survey = Survey.objects.create(
                office_id=booking.office_id,
                booking=booking,
                comment=comment,
                answered_at=now,
                **dict(zip(SCORE_FIELDS, scores, strict=True)),
            )
    except IntegrityError:  # the same answer, sent twice at once: the unique index decided
        return Survey.objects.get(booking=booking)
    survey.fresh = True
    return survey


def _answer_of(booking: Booking) -> Survey | None:
    """The answer the booking already has, if any."""
    return Survey.objects.filter(booking=booking).first()
