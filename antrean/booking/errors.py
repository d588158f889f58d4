"""Why a booking request was refused.

Every refusal is a `BookingError` with a stable `reason` (the key of its applicant-facing
text in `antrean/content/messages.toml`) and `details` that the text can mention. The
conversation and web layers show `explain(error, lang)`; they never parse exception text.
Details never carry personal data beyond what the applicant just sent us.
"""

# An error about one person of a family booking carries `applicant`, their place (1-5), so
# that a form can show it beside that person's fields.

# Details that repeat the applicant's personal data back to them: fine in the reply they
# read, never in a log line, so `str(error)` names them without their values.
PERSONAL_DETAILS = frozenset({"birth_date", "expected", "found"})


class BookingError(Exception):
    reason = "booking_error"

    def __init__(self, **details):
        super().__init__(self.reason)
        self.details = details

    def __str__(self) -> str:
        if not self.details:
            return self.reason
        shown = ", ".join(
            f"{key}=…" if key in PERSONAL_DETAILS else f"{key}={value!r}"
            for key, value in sorted(self.details.items())
        )
        return f"{self.reason} ({shown})"


# --- The applicant's data ------------------------------------------------------------------
class InvalidName(BookingError):
    reason = "name_invalid"  # why: empty | too_long | characters


class InvalidBirthDate(BookingError):
    reason = "birth_date_invalid"  # why: future | today | too_old


class InvalidNik(BookingError):
    reason = "nik_invalid"  # why: length | digits | province | region | date | mismatch | serial


class InvalidPhone(BookingError):
    reason = "phone_invalid"


class InvalidApplicants(BookingError):
    reason = "applicants_invalid"  # count, maximum


class ServiceNotBookable(BookingError):
    reason = "service_not_bookable"  # service (lost or damaged passports: interview first)


class PriorityNotEligible(BookingError):
    reason = "priority_not_eligible"


# --- The asked day and hour ----------------------------------------------------------------
class OutsideRegistrationHours(BookingError):
    reason = "outside_registration_hours"  # opens, closes, next_opening


class VisitDateInPast(BookingError):
    reason = "visit_date_past"  # day, suggestion


class DayClosed(BookingError):
    reason = "day_closed"  # day, closure (Closure or None for a non-working weekday), suggestion


class BeyondHorizon(BookingError):
    reason = "beyond_horizon"  # day, last_day, horizon_days, suggestion


class NotYetReleased(BookingError):
    # why ("before", "open" or "drawing" - see ReleaseWindow.stage), day, first_day,
    # last_day, opens_at, closes_at (the release window), suggestion
    reason = "not_yet_released"


class AlreadyEntered(BookingError):
    reason = "already_entered"  # ticket, closes_at: one lottery entry per phone per release


class NikAlreadyEntered(BookingError):
    reason = "nik_already_entered"  # closes_at; applicant (the place) when several


class NoSlotsLeftToday(BookingError):
    reason = "no_slots_left_today"  # day, suggestion


class HourNotOffered(BookingError):
    reason = "hour_not_offered"  # day, hour, hours (the hours still open that day)


class HourFull(BookingError):
    reason = "hour_full"  # day, hour


class DayFull(BookingError):
    reason = "day_full"  # day, next_day (None when nothing is free up to the horizon)


class FullyBooked(BookingError):
    reason = "fully_booked"  # from_day, last_day


# --- One live booking per person -----------------------------------------------------------
class AlreadyBooked(BookingError):
    reason = "already_booked"  # code, office (its name), visit_date, slot_start, status


class NikAlreadyBooked(BookingError):
    reason = "nik_already_booked"  # applicant: the place (1-5) in a family booking


class NikRepeated(BookingError):
    reason = "nik_repeated"  # applicant, same_as: two places in one booking with one NIK


# --- Changing an existing booking ----------------------------------------------------------
class BookingNotFound(BookingError):
    reason = "booking_not_found"


class WrongStatus(BookingError):
    reason = "wrong_status"  # status, action


class ConfirmationLapsed(BookingError):
    reason = "confirmation_lapsed"  # code


class ArrivalTooLate(BookingError):
    reason = "arrival_too_late"  # deadline (aware datetime, office time)


class NotVisitDay(BookingError):
    reason = "not_visit_day"  # visit_date


class RescheduleLimit(BookingError):
    reason = "reschedule_limit"  # limit


class RescheduleTooLate(BookingError):
    reason = "reschedule_too_late"  # last_day (the last day a change is still allowed)


class SameSlot(BookingError):
    reason = "same_slot"  # day, hour


class OfficeUnavailable(BookingError):
    reason = "office_unavailable"  # the office takes no bookings (inactive)


class Busy(BookingError):
    """The database stayed locked through every retry; nothing was written."""

    reason = "busy"


# --- Waitlist and payment --------------------------------------------------------------------
class NothingToWaitFor(BookingError):
    reason = "nothing_to_wait_for"  # code: only a booking moved off a full day may wait for it


class AlreadyWaiting(BookingError):
    reason = "already_waiting"  # code, day: the phone already waits on a list


class PaymentNotFound(BookingError):
    reason = "payment_not_found"


class PaymentAmountWrong(BookingError):
    reason = "payment_amount_wrong"  # expected, got (Rupiah)


class PaymentTooLate(BookingError):
    reason = "payment_too_late"  # code, status: the booking ended before the payment came


# --- At the office ---------------------------------------------------------------------------
class CounterBusy(BookingError):
    reason = "counter_busy"  # counter (its number), queue_number (who is still at it)


class NotCalled(BookingError):
    reason = "not_called"  # code, queue_number: waiting, not yet called to a counter


class StageNotAllowed(BookingError):
    reason = "stage_not_allowed"  # code, status, stage


class NotLate(BookingError):
    reason = "not_late"  # code: an override is for late arrivals only


# --- Identity at arrival: a booking is not transferable -----------------------------------
class IdentityNotChecked(BookingError):
    reason = "identity_not_checked"  # code: the officer has not confirmed name and birth date


class IdentityMismatch(BookingError):
    reason = "identity_mismatch"  # applicant: the place (1 = the booker) whose NIK does not match
