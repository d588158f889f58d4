"""`make bench` (second part): the rush at a quota release.

20,000 people ask for about 2,000 seats within the first minute of a lottery office's release
window. Each request goes the real way of a WhatsApp message after the webhook stored it:
claimed by `antrean.whatsapp.inbound`, run through the dialog, entered into the lottery,
answered in the outbox - spread over P worker processes. Then the window closes, the draw
runs and every entrant's result is queued. Measured: the time to accept everyone, to
allocate, and the whole; checked: no error, one entry and two answers per person, tickets
1..N, and no day or hour over its capacity.

Sending the answers to Meta is not timed here: it is bounded by the business number's
throughput (80 to 1,000 messages a second), not by us; issue 9's benchmark measures it.
"""

import datetime
import os
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import in_processes_of, record, setup_django

ENTRIES = int(os.environ.get("BENCH_RUSH_ENTRIES", "20000"))
SEATS_PER_DAY = 91  # x 22 working days in September 2027 = 2,002 seats
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "4"))
WIB = ZoneInfo("Asia/Jakarta")
OPENS = datetime.datetime(2027, 8, 31, 9, 0, tzinfo=WIB)


def phone(n: int) -> str:
    return f"62857{n:08d}"


def accept(contact_pks: list[int], first_second: float) -> dict:
    """Store and process one message per contact, as the worker does after the webhook."""
    import time_machine
    from django.db import connections

    from antrean.simulator import cloud
    from antrean.whatsapp import inbound
    from antrean.whatsapp.models import Contact, InboundMessage

    errors = 0
    contacts = list(Contact.objects.filter(pk__in=contact_pks).order_by("pk"))
    # Everyone arrives within the first minute; the clock stands still for the run (moving
    # it per message would cost more than the message).
    at = OPENS + datetime.timedelta(seconds=30 + first_second)
    with time_machine.travel(at, tick=False):
        for contact in contacts:
            message = cloud.inbound_message(
                wa_id=contact.wa_id,
                timestamp=int(at.timestamp()),
                kind="text",
                text=f"#Pemohon Undian#17051990#{1 + contact.pk % 28:02d}092027",
            )
            InboundMessage.objects.create(
                contact=contact,
                wamid=message["id"],
                kind="text",
                sent_at=at,
                received_at=at,
                payload=message,
            )
            try:
                inbound.process_contact(contact.pk)
            except Exception:  # counted and reported; the run goes on
                errors += 1
    connections.close_all()
    return {"errors": errors}


def main() -> None:
    setup_django()
    from django.db import connection
    from django.db.models import F, Sum

    from antrean.booking.models import Booking, DayLoad, SlotLoad
    from antrean.offices.models import Office, ServiceType, WhatsAppNumber
    from antrean.offices.schedules import schedule_for
    from antrean.release import jobs
    from antrean.release.models import Entry, Release
    from antrean.whatsapp.models import Contact, InboundMessage, OutboundMessage

    ServiceType.objects.get(code="baru")
    office, _ = Office.objects.update_or_create(
        code="bench-rush",
        defaults={
            "name": "Bench Rush",
            "office_class": "I_TPI",
            "city": "Bench",
            "province": "Bench",
            "timezone": "Asia/Jakarta",
            "capacity_per_hour": 25,
            "opens_at": datetime.time(8),
            "closes_at": datetime.time(12),
            "daily_regular": SEATS_PER_DAY,
            "daily_priority": 0,
            "daily_percepatan": 0,
            "horizon_days": 60,
            "release_mode": "lottery",
        },
    )
    number, _ = WhatsAppNumber.objects.get_or_create(
        phone_number_id="bench-rush", defaults={"office": office, "display_phone_number": "-"}
    )
    jobs.run(datetime.datetime(2027, 8, 9, 6, 0, tzinfo=WIB))  # plans September
    release = Release.objects.get(office=office)
    assert release.opens_at == OPENS, release.opens_at
    schedule = schedule_for(office, OPENS)
    days = [
        release.first_day + datetime.timedelta(days=n)
        for n in range((release.last_day - release.first_day).days + 1)
    ]
    seats = SEATS_PER_DAY * sum(
        day.isoweekday() in schedule.working_days and day not in schedule.closures for day in days
    )
    Contact.objects.bulk_create(
        [Contact(number=number, wa_id=phone(n), last_inbound_at=OPENS) for n in range(ENTRIES)],
        batch_size=2000,
    )
    pks = list(Contact.objects.filter(number=number).order_by("pk").values_list("pk", flat=True))
    share = (len(pks) + PROCESSES - 1) // PROCESSES
    accepted_s, outcomes = in_processes_of(
        accept, [(pks[i * share : (i + 1) * share], i / PROCESSES) for i in range(PROCESSES)]
    )
    failures = sum(o["errors"] for o in outcomes)
    entries = Entry.objects.filter(release=release).count()
    tickets = set(Entry.objects.filter(release=release).values_list("ticket", flat=True))
    answered = (
        OutboundMessage.objects.filter(contact__number=number).values("contact").distinct().count()
    )

    started = time.perf_counter()
    tally = jobs.run(release.closes_at)
    allocated_s = time.perf_counter() - started

    booked = Booking.objects.filter(office=office).aggregate(Sum("applicants"))["applicants__sum"]
    over_day = DayLoad.objects.filter(office=office, taken__gt=F("capacity")).count()
    over_hour = SlotLoad.objects.filter(office=office, taken__gt=F("capacity")).count()
    told = OutboundMessage.objects.filter(contact__number=number).count()
    processed = InboundMessage.objects.filter(contact__number=number, state="processed").count()
    checks = {
        "no errors": failures == 0,
        "every message processed": processed == ENTRIES,
        "one entry each": entries == ENTRIES,
        "tickets 1..N": tickets == set(range(1, ENTRIES + 1)),
        "every entrant answered at entry": answered == ENTRIES,
        "no overbooking": over_day == over_hour == 0,
        "every seat given": booked == min(ENTRIES, seats),
        "every entrant told the result": told == 2 * ENTRIES,
    }
    rows = [
        ("accept (entries, answered)", PROCESSES, ENTRIES, entries, accepted_s),
        ("draw + allocate + tell", 1, ENTRIES, booked, allocated_s),
        ("whole rush", PROCESSES, ENTRIES, booked, accepted_s + allocated_s),
    ]
    print(f"\nquota release rush on {connection.vendor}: {ENTRIES} entries, {seats} seats")
    print(f"{'phase':<28} {'procs':>5} {'entries':>8} {'done':>6} {'seconds':>8} {'per s':>7}")
    for name, procs, asked, done, seconds in rows:
        print(f"{name:<28} {procs:>5} {asked:>8} {done:>6} {seconds:>8.1f} {asked / seconds:>7.0f}")
    for name, ok in checks.items():
        print(f"  {'ok ' if ok else 'FAILED'} {name}")
    print(f"  {tally}")
    record("rush", connection.vendor, rows)
    if not all(checks.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
