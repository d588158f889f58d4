"""Bookings are not transferable: at arrival, the people at the counter are the people
booked.

The officer compares name and birth date with the e-KTP or the family card (KK) and says
so; every NIK we recorded at booking must also be among the NIKs read from the documents
shown. NIKs are compared by their lookup hash, so the check needs no decryption, and
neither a NIK nor its hash ever leaves this module in an error.
"""

from collections.abc import Sequence

from antrean.booking.errors import IdentityMismatch, IdentityNotChecked
from antrean.booking.models import Booking
from antrean.lib.crypto import lookup_hash

_DIGITS = frozenset("0123456789")


def presented_digits(raw: str) -> str:
    """A NIK as read at the counter, digits only: typed with spaces, or by a scanner that
    adds a prefix or a line end."""
    return "".join(ch for ch in (raw or "") if ch in _DIGITS)


def recorded_places(booking: Booking) -> dict[int, str]:
    """The places (1 = the booker) whose NIK was recorded at booking, with its hash.

    WhatsApp LAW bookings carry no NIK: their people are checked by name and birth date
    alone."""
    recorded = {1: booking.nik_hash} if booking.nik_hash else {}
    family = booking.people.filter(position__gt=1, nik_hash__isnull=False)
    recorded.update(family.values_list("position", "nik_hash"))
    return recorded


def check_identity(
    *, booking: Booking, presented_niks: Sequence[str], identity_checked: bool
) -> None:
    """Raise unless the officer confirmed name and birth date and the NIKs match.

    Order does not matter, but `presented_niks` should follow the places (blank where a
    place shows no NIK): a NIK that matches no one is named by its position. A recorded
    NIK that nobody presented is named first, since a stray NIK was most likely meant
    for that person.
    """
    if not identity_checked:
        raise IdentityNotChecked(code=booking.code)
    recorded = recorded_places(booking)
    shown = [
        (position, lookup_hash(digits))
        for position, raw in enumerate(presented_niks, start=1)
        if (digits := presented_digits(raw))
    ]
    shown_hashes = {nik_hash for _, nik_hash in shown}
    for place in sorted(recorded):
        if recorded[place] not in shown_hashes:
            raise IdentityMismatch(applicant=place)
    known = set(recorded.values())
    for position, nik_hash in shown:
        if nik_hash not in known:
            raise IdentityMismatch(applicant=position)
