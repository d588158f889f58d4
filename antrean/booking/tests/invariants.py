"""What must hold after any sequence of bookings, whatever their interleaving."""

from collections import Counter

from antrean.booking.actions import local_start
from antrean.booking.lifecycle import HOLDS_SEATS
from antrean.booking.models import Booking, DayLoad, SlotLoad


def check_counters(office) -> None:
    """Every counter equals the seats its bookings hold, and none exceeds its capacity."""
    holding = list(
        Booking.objects.select_related("office").filter(office=office, status__in=list(HOLDS_SEATS))
    )
    per_slot, per_day = Counter(), Counter()
    for booking in holding:
        per_slot[(booking.visit_date, local_start(booking))] += booking.applicants
        per_day[(booking.visit_date, booking.quota)] += booking.applicants
    for load in SlotLoad.objects.filter(office=office):
        assert load.taken == per_slot.pop((load.day, load.start), 0), (load.day, load.start)
        assert 0 <= load.taken <= load.capacity
    for load in DayLoad.objects.filter(office=office):
        assert load.taken == per_day.pop((load.day, load.quota), 0), (load.day, load.quota)
        assert 0 <= load.taken <= load.capacity
    assert not +per_slot and not +per_day, "bookings hold seats no counter knows of"


def check_queue_numbers(office) -> None:
    numbered = Booking.objects.filter(office=office, queue_number__isnull=False)
    pairs = list(numbered.values_list("visit_date", "queue_number"))
    assert len(pairs) == len(set(pairs)), "a queue number was given twice"
