"""`make bench`: how fast the booking engine books, and that it never overbooks doing so.

Runs on a fresh SQLite file in a temporary folder, or on DATABASE_URL when set (use a
database you can throw away). Prints a table and writes bench/results/DATE-booking-DB.json
with the machine, the commit and the numbers.

Scenarios:
  sequential   one process books N applicants spread over the horizon
  parallel     P processes book N applicants between them
  contention   P processes race for one hour of 500 seats with 2,000 requests;
               afterwards exactly 500 bookings must exist and the counter must say 500
  confirm      one process confirms N pending codes (queue numbers)
"""

import datetime
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
N = int(os.environ.get("BENCH_BOOKINGS", "2000"))
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "4"))
NOW = datetime.datetime(2027, 8, 9, 6, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def setup_django() -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["ANTREAN_DATA_DIR"] = tempfile.mkdtemp(prefix="antrean-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antrean.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_office(code: str, **fields):
    from antrean.offices.models import Office, WhatsAppNumber

    values = {
        "name": f"Bench {code}",
        "office_class": "I_TPI",
        "city": "Bench",
        "province": "Bench",
        "timezone": "Asia/Jakarta",
        "capacity_per_hour": 10_000,
        "daily_regular": 100_000,
        "horizon_days": 60,
    }
    values.update(fields)
    office, _ = Office.objects.update_or_create(code=code, defaults=values)
    WhatsAppNumber.objects.get_or_create(
        phone_number_id=f"bench-{code}", defaults={"office": office, "display_phone_number": "-"}
    )
    return office


def phone(run: int, n: int) -> str:
    return f"6281{run:02d}{n:07d}"


def book_range(office_pk: int, run: int, start: int, stop: int, visit_date) -> dict:
    from django.db import connections

    from antrean.booking import actions, errors
    from antrean.offices.models import Office, ServiceType

    office = Office.objects.get(pk=office_pk)
    service = ServiceType.objects.get(code="baru")
    booked = refused = 0
    for n in range(start, stop):
        try:
            actions.book(
                office=office,
                service=service,
                phone=phone(run, n),
                name="Pemohon Bench",
                birth_date=datetime.date(1990, 1, 1),
                now=NOW,
                channel="web",
                actor="bench",
                visit_date=visit_date,
                move_if_full=False,
            )
            booked += 1
        except errors.BookingError:
            refused += 1
    connections.close_all()
    return {"booked": booked, "refused": refused}


def _worker(fn, args, results):
    results.put(fn(*args))


def in_processes_of(fn, argument_lists) -> tuple[float, list]:
    """Run `fn(*args)` for each argument list in its own forked process; (seconds, results)."""
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    processes = [ctx.Process(target=_worker, args=(fn, args, results)) for args in argument_lists]
    started = time.perf_counter()
    for process in processes:
        process.start()
    outcomes = [results.get() for _ in processes]
    for process in processes:
        process.join()
    return time.perf_counter() - started, outcomes


def in_processes(argument_lists) -> tuple[float, list[dict]]:
    return in_processes_of(book_range, argument_lists)


def main() -> None:
    setup_django()
    from django.db import connection

    from antrean.booking import actions
    from antrean.booking.models import Booking, SlotLoad

    rows = []

    office = make_office("bench-seq")
    started = time.perf_counter()
    outcome = book_range(office.pk, 1, 0, N, None)
    elapsed = time.perf_counter() - started
    rows.append(("sequential", 1, N, outcome["booked"], elapsed))

    office = make_office("bench-par")
    share = N // PROCESSES
    elapsed, outcomes = in_processes(
        [(office.pk, 2, i * share, (i + 1) * share, None) for i in range(PROCESSES)]
    )
    rows.append(
        ("parallel", PROCESSES, share * PROCESSES, sum(o["booked"] for o in outcomes), elapsed)
    )

    office = make_office(
        "bench-race", opens_at=datetime.time(8), closes_at=datetime.time(9), capacity_per_hour=500
    )
    requests, racers = 2000, max(PROCESSES, 8)
    share = requests // racers
    elapsed, outcomes = in_processes(
        [
            (office.pk, 3, i * share, (i + 1) * share, datetime.date(2027, 8, 10))
            for i in range(racers)
        ]
    )
    won = sum(o["booked"] for o in outcomes)
    taken = SlotLoad.objects.get(office=office).taken
    live = Booking.objects.filter(office=office).count()
    assert won == taken == live == 500, (won, taken, live)
    rows.append(("contention", racers, requests, won, elapsed))

    codes = list(
        Booking.objects.filter(office__code="bench-seq").values_list("code", flat=True)[:N]
    )
    started = time.perf_counter()
    for code in codes:
        actions.confirm(code=code, now=NOW, actor="bench")
    rows.append(("confirm", 1, len(codes), len(codes), time.perf_counter() - started))

    print(f"\nbooking engine on {connection.vendor} ({platform.machine()}, {os.cpu_count()} cpu)")
    print(f"{'scenario':<12} {'procs':>5} {'requests':>9} {'done':>6} {'seconds':>8} {'per s':>8}")
    for name, procs, asked, done, seconds in rows:
        print(f"{name:<12} {procs:>5} {asked:>9} {done:>6} {seconds:>8.2f} {asked / seconds:>8.0f}")

    record("booking", connection.vendor, rows)


def record(name: str, vendor: str, rows) -> None:
    """Write bench/results/DATE-NAME-DB.json: the machine, the commit and the numbers."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    body = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "database": vendor,
        "machine": {
            "arch": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "results": [
            {
                "scenario": scenario,
                "processes": procs,
                "requests": asked,
                "done": done,
                "seconds": round(seconds, 3),
                "per_second": round(asked / seconds, 1),
            }
            for scenario, procs, asked, done, seconds in rows
        ],
    }
    out = ROOT / "bench" / "results" / f"{datetime.date.today()}-{name}-{vendor}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(body, indent=2) + "\n")
    print(f"\nrecorded in {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
