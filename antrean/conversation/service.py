"""Run the dialog for one inbound WhatsApp message and apply its effect.

Called by the WhatsApp channel inside the transaction that claims the message, so the
booking change, the new conversation state and the replies commit together or not at all.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from antrean.booking import actions, availability, together, waitlist
from antrean.booking.errors import BookingError, BookingNotFound, NotYetReleased
from antrean.booking.models import Booking, Channel, Payment
from antrean.booking.queries import by_code, latest_booking, live_booking
from antrean.booking.rules import Quota, Schedule, check_reschedule, is_child
from antrean.conversation import dialog
from antrean.conversation.model import (
    Book,
    BookingView,
    Cancel,
    Confirm,
    DayOffer,
    EntryView,
    FileTicket,
    Incoming,
    OfficeInfo,
    PaymentView,
    Reschedule,
    ServiceOption,
    SetLanguage,
    ShowStatus,
    ShowTicket,
    Situation,
    Step,
    SubmitSurvey,
    SurveyView,
    TicketView,
    Wait,
)
from antrean.feedback.actions import file_ticket, record_survey
from antrean.feedback.models import Ticket
from antrean.offices.models import MessageFormat, Office, ServiceType
from antrean.offices.queries import office_texts, service_type, service_types
from antrean.offices.schedules import schedule_for
from antrean.whatsapp.models import Contact, InboundMessage, StoredMedia
from antrean.whatsapp.payloads import message_from_raw

_UNREAD = object()


def respond(
    contact: Contact, inbound: InboundMessage, now: datetime, *, live=_UNREAD
) -> tuple[dict, list]:
    """(new conversation state, replies) for `inbound`; applies any effect it asks for.

    `live` is the person's live booking (or None) when the caller has read it already, in
    the same transaction: a batch reads those of many chats at once."""
    turn = _Turn.begin(contact, inbound, now, live)
    if turn.step.effect is None:
        return turn.step.state, list(turn.step.replies)
    return turn.finish(turn.apply())


class Answers:
    """The answers to the next message of many chats, in one transaction, in the order
    they are given (whatsapp/inbound_batch.py): as `respond` chat after chat would give
    them, but with the plain bookings among them made together (booking/together.py).

    A plain booking waits for the next one; they are made together before anything that
    could see or change seats is done: another chat's effect, a look at the days with room
    (`Situation.offers`), or the end."""

    def __init__(self, now: datetime):
        self.now = now
        self._answers: dict[int, tuple[dict, list]] = {}
        self._waiting: list[tuple[_Turn, together.Request]] = []

    def respond(self, contact: Contact, inbound: InboundMessage, *, live) -> None:
        turn = _Turn.begin(contact, inbound, self.now, live, before_offers=self._book_waiting)
        effect = turn.step.effect
        if effect is None:
            self._answers[contact.pk] = (turn.step.state, list(turn.step.replies))
        elif live is None and _plain(effect):
            self._waiting.append((turn, _request(effect, contact, turn.schedule)))
        else:
            self._book_waiting()
            self._answers[contact.pk] = turn.finish(turn.apply())

    def given(self) -> dict[int, tuple[dict, list]]:
        """(state, replies) of each chat, by its pk."""
        self._book_waiting()
        return self._answers

    def _book_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        if not waiting:
            return
        outcomes = together.book_together([request for _, request in waiting], now=self.now)
        for n, (turn, _) in enumerate(waiting):
            outcome = outcomes[n] if outcomes is not None else None
            if isinstance(outcome, actions.Booked):
                result = view(outcome.booking, outcome.moved_from)
            elif outcome is None or isinstance(outcome, NotYetReleased):
                result = turn.apply()  # one by one; a lottery's entry too
            else:
                result = outcome  # refused, nothing written
            self._answers[turn.contact.pk] = turn.finish(result)


def _plain(effect) -> bool:
    """A booking `together.book_together` makes as `_book` would."""
    if not isinstance(effect, Book):
        return False
    return effect.hour is None and not (effect.confirm or effect.document_ref)


def _request(effect: Book, contact: Contact, schedule: Schedule) -> together.Request:
    return together.Request(
        office=contact.number.office,
        service=service_type(effect.service),
        phone=contact.wa_id,
        name=effect.name,
        birth_date=effect.birth_date,
        visit_date=effect.visit_date,
        address=effect.address,
        channel=Channel.WHATSAPP,
        actor=_actor(contact),
        lang=contact.lang,
        schedule=schedule,
    )


@dataclass
class _Turn:
    """One message's dialog step, its effect to apply and the answer to it."""

    contact: Contact
    inbound: InboundMessage
    now: datetime
    schedule: Schedule
    situation: Situation
    step: Step

    @classmethod
    def begin(cls, contact, inbound, now, live, before_offers=None) -> "_Turn":
        schedule = schedule_for(contact.number.office, now)  # once: the dialog and booking
        situation = situation_for(contact, now, schedule, live=live, before_offers=before_offers)
        step = dialog.handle(
            contact.state or {},
            incoming_for(inbound),
            now=now,
            situation=situation,
            lang=contact.lang,
        )
        return cls(contact, inbound, now, schedule, situation, step)

    def apply(self):
        sent_at = min(self.inbound.sent_at, self.now)
        return _apply(
            self.step.effect, self.contact, self.now, sent_at=sent_at, schedule=self.schedule
        )

    def finish(self, outcome) -> tuple[dict, list]:
        answer = dialog.after(
            self.step.effect,
            outcome,
            self.step.state,
            now=self.now,
            situation=self.situation,
            lang=self.contact.lang,
        )
        return answer.state, list(self.step.replies) + list(answer.replies)


def situation_for(
    contact: Contact,
    now: datetime,
    schedule: Schedule | None = None,
    *,
    live=_UNREAD,
    before_offers=None,
) -> Situation:
    office = contact.number.office
    schedule = schedule or schedule_for(office, now)
    if live is _UNREAD:
        live = live_booking(contact.wa_id)

    def offers(quota: str) -> list[DayOffer]:
        if before_offers is not None:
            before_offers()  # the seats others' waiting bookings take (`Answers`)
        horizon = office.horizon_days + 1  # every bookable day, not only the first ones
        rooms = availability.upcoming(office, schedule, Quota(quota), now, limit=horizon)
        return [DayOffer(room.day, room.seats, room.hours) for room in rooms]

    return Situation(
        office=office_info(office, now, schedule),
        live=view(live, now=now) if live is not None else None,
        offers=offers,
    )


def office_info(office: Office, now: datetime, schedule=None) -> OfficeInfo:
    schedule = schedule or schedule_for(office, now)
    registration_open = True
    if schedule.registration is not None:
        try:
            schedule.check_registration(now)
        except BookingError:
            registration_open = False
    example = schedule.first_bookable_day(now, after=schedule.today(now))
    return OfficeInfo(
        name=office.name,
        zone=office.timezone,
        address=office.address,
        batam=office.message_format == MessageFormat.BATAM,
        example_day=example or schedule.first_bookable_day(now),
        registration=schedule.registration,
        registration_open=registration_open,
        next_registration=schedule.next_registration_opening(now),
        services=tuple(
            ServiceOption(s.code, s.name_id, s.quota, s.bookable_remotely, s.name_en)
            for s in service_types()
        ),
        texts=office_texts(office),
        reschedule_limit=office.max_reschedules,
        reschedule_cutoff=office.reschedule_cutoff_days,
    )


def incoming_for(inbound: InboundMessage) -> Incoming:
    message = message_from_raw(inbound.payload)
    media = None
    if message.kind in ("image", "document"):
        media = StoredMedia.objects.filter(inbound=inbound).first()
    return Incoming(
        kind=message.kind,
        text=message.text,
        reply_id=message.reply_id,
        media_ref=str(media.pk) if media else "",
        media_failed=message.kind in ("image", "document") and media is None,
    )


def view(booking: Booking, moved_from=None, *, now: datetime | None = None) -> BookingView:
    zone = ZoneInfo(booking.office.timezone)
    slot = booking.slot_at.astimezone(zone)
    refusal = None
    if now is not None:  # can it still be rescheduled? (said before the person tries)
        try:
            check_reschedule(
                done=booking.reschedules,
                limit=booking.office.max_reschedules,
                visit_date=booking.visit_date,
                cutoff_days=booking.office.reschedule_cutoff_days,
                today=now.astimezone(zone).date(),
            )
        except BookingError as error:
            refusal = error
    return BookingView(
        code=booking.code,
        name=booking.name,
        birth_date=booking.birth_date,
        visit_date=booking.visit_date,
        slot_start=slot.time(),
        status=booking.status,
        queue_number=booking.queue_number,
        confirm_by=booking.confirm_by.astimezone(zone) if booking.confirm_by else None,
        arrive_by=slot - timedelta(minutes=booking.office.arrival_lead_minutes),
        child=is_child(booking.birth_date, booking.visit_date),
        old_passport=booking.service.needs_old_passport,
        address=booking.address,
        moved_from=moved_from,
        quota=booking.quota,
        office_name=booking.office.name,
        reschedule_refusal=refusal,
        waitlist_place=waitlist.position(booking) if booking.status == "waitlisted" else None,
        claim_minutes=booking.office.claim_minutes,
        payment=_payment(booking),
    )


def _payment(booking: Booking) -> PaymentView | None:
    if booking.status == "pending":
        return None  # billed when confirmed, never before
    payment = Payment.objects.filter(booking=booking).first()
    if payment is None:
        return None
    zone = ZoneInfo(booking.office.timezone)
    return PaymentView(
        payment.billing_code, payment.amount, payment.due_at.astimezone(zone), bool(payment.paid_at)
    )


def _apply(effect, contact: Contact, now: datetime, *, sent_at: datetime, schedule: Schedule):
    """Apply `effect`: a view of the result, or the refusal. `sent_at` is when the person
    wrote (a lottery entry counts by it); `schedule` the office's, read for this message."""
    actor = _actor(contact)
    phone = contact.wa_id
    try:
        if isinstance(effect, Book):
            return _book(effect, contact, actor, now, sent_at=sent_at, schedule=schedule)
        if isinstance(effect, Confirm):
            return view(actions.confirm(code=effect.code, now=now, actor=actor, phone=phone))
        if isinstance(effect, Wait):
            return view(waitlist.wait_instead(code=effect.code, phone=phone, now=now, actor=actor))
        if isinstance(effect, Cancel):
            code = effect.code or _live_code(phone)
            return view(actions.cancel(code=code, now=now, actor=actor, phone=phone))
        if isinstance(effect, Reschedule):
            moved = actions.reschedule(
                code=effect.code,
                visit_date=effect.day,
                hour=effect.hour,
                now=now,
                actor=actor,
                phone=phone,
            )
            return view(moved)
        if isinstance(effect, ShowStatus):
            return view(_status_of(effect.code, phone))
        if isinstance(effect, ShowTicket):
            ticket = Ticket.objects.filter(number=effect.number, phone=phone).first()
            if ticket is None:
                return None
            created = ticket.created_at.astimezone(ZoneInfo(ticket.office.timezone)).date()
            return TicketView(ticket.number, ticket.kind, ticket.state, created)
        if isinstance(effect, FileTicket):
            ticket = file_ticket(
                office=contact.number.office,
                phone=phone,
                kind=effect.kind,
                text=effect.text,
                now=now,
                whatsapp_number=contact.number.phone_number_id,
            )
            return TicketView(ticket.number, ticket.kind)
        if isinstance(effect, SetLanguage):
            contact.lang = effect.lang
            contact.save(update_fields=["lang"])
            return None
        if isinstance(effect, SubmitSurvey):
            survey = record_survey(
                booking_code=effect.code,
                phone=phone,
                scores=effect.scores,
                comment=effect.comment,
                now=now,
            )
            return SurveyView(effect.code, first=survey.fresh)
    except BookingError as refusal:
        return refusal
    raise TypeError(f"cannot apply {type(effect).__name__}")


def _actor(contact: Contact) -> str:
    return f"whatsapp:{contact.wa_id}"


def _book(
    effect: Book, contact: Contact, actor: str, now: datetime, *, sent_at: datetime, schedule
) -> BookingView | EntryView:
    office, service = contact.number.office, service_type(effect.service)
    try:
        booked = actions.book(
            office=office,
            service=service,
            phone=contact.wa_id,
            name=effect.name,
            birth_date=effect.birth_date,
            visit_date=effect.visit_date,
            hour=effect.hour,
            address=effect.address,
            channel=Channel.WHATSAPP,
            actor=actor,
            lang=contact.lang,
            now=now,
            schedule=schedule,
        )
    except NotYetReleased as held:
        if held.details.get("why") not in ("open", "drawing") or effect.document_ref:
            raise  # a Batam request with an e-KTP photo is not a lottery entry (yet)
        entered = _enter(effect, office, service, contact, now, sent_at=sent_at, schedule=schedule)
        if entered is None:
            raise
        return entered
    booking = booked.booking
    if effect.document_ref:
        StoredMedia.objects.filter(pk=effect.document_ref).update(booking=booking)
    if effect.confirm:
        booking = actions.confirm(code=booking.code, now=now, actor=actor, phone=contact.wa_id)
    return view(booking, booked.moved_from)


def _enter(
    effect: Book,
    office: Office,
    service: ServiceType,
    contact: Contact,
    now: datetime,
    *,
    sent_at: datetime,
    schedule: Schedule,
) -> EntryView | None:
    """The asked day is held for a release whose window was open when the person wrote:
    the request enters its lottery. None when no window was open then.

    A message written in the window counts even when a backlog after the rush brings it to
    us after the close: the draw waits for it (`release.actions.due`).
    """
    # Imported here: the lottery's messages are built from this module's office facts.
    from antrean.release import actions as release_actions
    from antrean.release.notify import audit_url

    release = release_actions.open_release(office, sent_at)
    if release is None:
        return None
    entry = release_actions.enter(
        release=release,
        service=service,
        phone=contact.wa_id,
        name=effect.name,
        birth_date=effect.birth_date,
        visit_date=effect.visit_date,
        address=effect.address,
        channel=Channel.WHATSAPP,
        lang=contact.lang,
        now=now,
        sent_at=sent_at,
        schedule=schedule,
    )
    zone = ZoneInfo(office.timezone)
    return EntryView(
        entry.ticket,
        release.first_day,
        release.last_day,
        release.closes_at.astimezone(zone),
        audit_url(release),
    )


def _live_code(phone: str) -> str:
    """The booking "batal" cancels: the live one, or else a place on a waitlist."""
    live = live_booking(phone)
    if live is None:
        live = Booking.objects.filter(phone=phone, status="waitlisted").first()
    if live is None:
        raise BookingNotFound()
    return live.code


def _status_of(code: str | None, phone: str) -> Booking:
    """A booking by its code (whoever asks: the code is the proof), or the number's latest."""
    booking = by_code(code) if code else latest_booking(phone)
    if booking is None:
        raise BookingNotFound()
    return booking
