"""What the dialog reads and returns. Plain data; no Django."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time


@dataclass(frozen=True)
class Incoming:
    kind: str  # text, button_reply, list_reply, quick_reply, image, document, location, ...
    text: str = ""
    reply_id: str = ""
    media_ref: str = ""  # our reference to the stored photo or document
    media_failed: bool = False


@dataclass(frozen=True)
class ServiceOption:
    code: str
    name: str
    quota: str
    bookable: bool
    name_en: str = ""

    def named(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name


@dataclass(frozen=True)
class OfficeInfo:
    name: str
    zone: str  # IANA name
    address: str = ""
    batam: bool = False
    example_day: date | None = None  # a real open day, for examples in our answers
    registration: tuple[time, time] | None = None
    registration_open: bool = True
    next_registration: datetime | None = None
    services: tuple[ServiceOption, ...] = ()
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # staff's own wording
    reschedule_limit: int = 1
    reschedule_cutoff: int = 1  # days before the visit


@dataclass(frozen=True)
class DayOffer:
    """A bookable day with the places one booking could still get, and its hours."""

    day: date
    seats: int
    hours: tuple[tuple[time, int], ...]


@dataclass(frozen=True)
class EntryView:
    """A booking request taken into a quota lottery (its window is open)."""

    ticket: int
    first_day: date
    last_day: date
    closes_at: datetime  # office time
    audit_url: str


@dataclass(frozen=True)
class BookingView:
    """What our answers say about a booking."""

    code: str
    name: str
    birth_date: date
    visit_date: date
    slot_start: time
    status: str
    queue_number: str | None
    confirm_by: datetime | None
    arrive_by: datetime
    child: bool
    old_passport: bool
    address: str | None = None
    moved_from: date | None = None
    quota: str = "regular"
    office_name: str = ""
    reschedule_refusal: Exception | None = None  # why it cannot be rescheduled now, if so
    waitlist_place: int | None = None  # 1 for the first in line, when waitlisted
    claim_minutes: int = 30  # how long an offered waitlist seat waits for its confirmation
    payment: "PaymentView | None" = None  # the bill, where the fee is paid before the visit


@dataclass(frozen=True)
class PaymentView:
    billing_code: str
    amount: int
    due_at: datetime
    paid: bool


@dataclass(frozen=True)
class TicketView:
    number: str
    kind: str
    state: str = "open"
    created: date | None = None


@dataclass(frozen=True)
class SurveyView:
    code: str
    first: bool = True  # False: answered before, and the first answers stand


@dataclass(frozen=True)
class Situation:
    """What the dialog knows of the world when a message arrives."""

    office: OfficeInfo
    live: BookingView | None = None  # the person's live booking, if any
    offers: Callable[[str], Sequence[DayOffer]] = lambda quota: ()  # by quota, on demand


# --- Effects: what the dialog asks the booking write layer (or the ticket desk) to do -------
@dataclass(frozen=True)
class Book:
    name: str
    birth_date: date
    visit_date: date | None
    address: str | None = None
    document_ref: str = ""
    service: str = "baru"
    hour: time | None = None
    confirm: bool = False  # the guided booking's last tap already confirms


@dataclass(frozen=True)
class Confirm:
    code: str
    guessed: bool = False  # a word that only looked like a code


@dataclass(frozen=True)
class Wait:
    """Give up the later day a full day moved the booking to, and wait for the asked day."""

    code: str


@dataclass(frozen=True)
class Cancel:
    code: str | None  # None: the number's live booking


@dataclass(frozen=True)
class Reschedule:
    code: str
    day: date
    hour: time | None = None


@dataclass(frozen=True)
class ShowStatus:
    code: str | None  # None: the number's latest booking


@dataclass(frozen=True)
class ShowTicket:
    number: str


@dataclass(frozen=True)
class FileTicket:
    kind: str  # appreciation, aspiration, complaint
    text: str


@dataclass(frozen=True)
class SetLanguage:
    lang: str


@dataclass(frozen=True)
class SubmitSurvey:
    code: str
    scores: tuple[int, ...]  # the nine answers, each 1 to 4
    comment: str = ""


Effect = (
    Book
    | Confirm
    | Cancel
    | Wait
    | Reschedule
    | ShowStatus
    | ShowTicket
    | FileTicket
    | SetLanguage
    | SubmitSurvey
)


@dataclass
class Step:
    state: dict
    replies: list = field(default_factory=list)
    effect: Effect | None = None
