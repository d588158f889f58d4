"""Issue 9: the worker's cost per applicant along the whole way, in one process.

A fresh installation (SQLite in a temporary folder, or DATABASE_URL) with the demo
offices; N applicants' webhooks (a LAW booking message each, shaped and stored like the
webhook's) go the worker's three steps, one applicant after another, with the task queue
left out: `ingest.drain()` (in batches, as the worker's drain), `inbound.process_contact`
(the claim, dialog and booking) and `outbox.deliver` (the QR code, its upload and the two
sends) against the Graph API stand-in of the end-to-end benchmark (bench/graph_stub.py).

Reported per step, per applicant: CPU milliseconds; SQL statements and write
transactions on the main database (the inbox's are in the CPU only); and the time the
statements themselves took, from sent to answered (wall time: the ORM's building of a
statement and its reading of rows into objects are not in it, a commit's fsync is). Beside
it, what the 0.10 ratio of `bench/e2e.py` allows a whole applicant at a bare view's rate
(bench/README.md, "What the 0.10 ratio asks of the worker").
Checked: every applicant one booking and the two replies, the image first, nothing left.
Speed is reported, never asserted; a failed check exits 1. Results:
bench/results/DATE-worker-DB.json.

Environment: BENCH_WORKER_APPLICANTS [400], BENCH_WORKER_WARMUP [20], BENCH_BARE_RATE [the
bare view's closed-loop rate to compare with; 1500, this machine's on a quiet hour],
BENCH_PROFILE [a file: a cProfile of the timed part], DATABASE_URL.
"""

import datetime
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import deliver  # noqa: E402  (the stand-in, the installation, the statement counter)
import e2e  # noqa: E402  (what people send, the report's machine and commit)

N = int(os.environ.get("BENCH_WORKER_APPLICANTS") or 400)
WARMUP = int(os.environ.get("BENCH_WORKER_WARMUP") or 20)
BARE_RATE = float(os.environ.get("BENCH_BARE_RATE") or 1500)
PROFILE = os.environ.get("BENCH_PROFILE", "")
STEPS = ("ingest", "process", "deliver")
# Chats processed together, then delivered together (a backlog, as the ingest's and the
# processing's nudges hand them over); 1: one applicant after another, each message
# processed and its replies sent before the next.
TOGETHER = int(os.environ.get("BENCH_WORKER_TOGETHER") or 1)


class Timed(deliver.Counting):
    """The statement counter, with the time the statements themselves took."""

    def __init__(self):
        super().__init__()
        self.database_s = 0.0

    def _execute(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return super()._execute(execute, sql, params, many, context)
        finally:
            self.database_s += time.perf_counter() - started


def main() -> int:
    return deliver.with_stub(run)


def run(port: int) -> int:
    deliver.setup(port)
    from django.db import connection
    from django.utils import timezone

    from antrean.booking.models import Booking
    from antrean.offices.demo import seed_demo_offices
    from antrean.offices.models import WhatsAppNumber
    from antrean.offices.schedules import schedule_for
    from antrean.simulator import cloud
    from antrean.whatsapp import inbound, inbound_batch, ingest, outbox, outbox_batch, tasks
    from antrean.whatsapp.models import Contact, InboundMessage, OutboundMessage

    # The steps are called here one after the other; the queue's nudges would only pile up.
    quiet = (
        "ingest_task",
        "nudge_processing",
        "process_contact_task",
        "deliver_task",
        "nudge_delivery",
        "deliver_later",
    )
    for name in quiet:
        setattr(tasks, name, lambda *args, **kwargs: None)
    ingest._nudger.poke = lambda: None

    seed_demo_offices()
    office = WhatsAppNumber.objects.get(phone_number_id=e2e.JAKARTA_PUSAT).office
    now = timezone.now()
    schedule = schedule_for(office, now)
    tomorrow = schedule.today(now) + datetime.timedelta(days=1)
    days = [day for day in schedule.bookable_days(now) if day > tomorrow]

    def body(i: int) -> str:
        message = cloud.inbound_message(
            wa_id=e2e.e2e_phone(i), kind="text", text=e2e.law_text(i, days[i % len(days)])
        )
        envelope = cloud.message_envelope(e2e.JAKARTA_PUSAT, e2e.DISPLAY, message, "Pemohon")
        return cloud.dumps(envelope).decode()

    def way(first: int, last: int, timed: Timed) -> dict:
        """Applicants first..last-1 through the three steps; what each step cost."""
        spent = defaultdict(Counter)

        def step(name, fn, *args):
            counts = timed.statements, timed.transactions, timed.database_s
            started = time.process_time()
            fn(*args)
            spent[name]["cpu_s"] += time.process_time() - started
            spent[name]["statements"] += timed.statements - counts[0]
            spent[name]["transactions"] += timed.transactions - counts[1]
            spent[name]["database_s"] += timed.database_s - counts[2]

        for i in range(first, last):
            ingest.store(body(i), timezone.now())  # the webhook's part: not measured
        batch = list(range(first, last))
        step("ingest", ingest.drain)
        contacts = dict(
            Contact.objects.filter(wa_id__in=[e2e.e2e_phone(i) for i in batch]).values_list(
                "wa_id", "pk"
            )
        )
        ids = [contacts[e2e.e2e_phone(i)] for i in batch]
        if TOGETHER > 1:  # a backlog: the ingest's nudges hand chats over many at a time
            for start in range(0, len(ids), TOGETHER):
                step("process", inbound_batch.process_contacts, ids[start : start + TOGETHER])
            for start in range(0, len(ids), TOGETHER):
                step("deliver", outbox_batch.deliver_contacts, ids[start : start + TOGETHER])
            return spent
        for contact in ids:
            step("process", inbound.process_contact, contact)
            step("deliver", outbox.deliver, contact)
        return spent

    before = deliver.stub_get(port, "/__stats")
    with Timed() as warming:
        way(0, WARMUP, warming)
    profiler = None
    if PROFILE:
        import cProfile

        profiler = cProfile.Profile()
    with Timed() as timed:
        if profiler:
            profiler.enable()
        spent = way(WARMUP, WARMUP + N, timed)
        if profiler:
            profiler.disable()
            profiler.dump_stats(PROFILE)
    after = deliver.stub_get(port, "/__stats")
    records = deliver.stub_get(port, "/__records")

    by_wa_id = defaultdict(list)
    for _at, to, kind in records:
        by_wa_id[to].append(kind)
    total = WARMUP + N
    phones = [e2e.e2e_phone(i) for i in range(total)]
    booked = Counter(Booking.objects.filter(phone__in=phones).values_list("phone", flat=True))
    checks = {
        "one booking each": len(booked) == total and set(booked.values()) == {1},
        "the two replies each, the image first": all(
            by_wa_id[phone] == e2e.EXPECTED_REPLIES for phone in phones
        ),
        "one upload each": after["media"] - before["media"] == total,
        "every message processed": not InboundMessage.objects.filter(state="received").exists(),
        "every reply sent": not OutboundMessage.objects.exclude(state="sent").exists(),
    }

    steps = {}
    for name in STEPS:
        counts = spent[name]
        steps[name] = {
            "cpu_ms": round(1000 * counts["cpu_s"] / N, 2),
            "statements": round(counts["statements"] / N, 1),
            "write_transactions": round(counts["transactions"] / N, 2),
            "statements_ms": round(1000 * counts["database_s"] / N, 2),
        }
    whole = round(sum(step["cpu_ms"] for step in steps.values()), 2)
    budget = round(1000 / (0.10 * BARE_RATE), 2)
    report = {
        **e2e.header(connection.vendor),
        "applicants": N,
        "steps": steps,
        "cpu_ms_per_applicant": whole,
        "budget": {
            "bare_rate": BARE_RATE,
            "cpu_ms_per_applicant_for_0.10": budget,
            "over_budget": round(whole / budget, 1),
        },
        "checks": checks,
    }
    show(report)
    print(f"recorded in {e2e.record(report, 'worker')}")
    return 0 if all(checks.values()) else 1


def show(report: dict) -> None:
    print(f"\nthe worker's way, per applicant ({report['applicants']}, {report['database']})")
    print(f"{'step':<10}{'CPU ms':>10}{'statements':>12}{'writes':>8}{'statements ms':>15}")
    for name, step in report["steps"].items():
        print(
            f"{name:<10}{step['cpu_ms']:>10}{step['statements']:>12}"
            f"{step['write_transactions']:>8}{step['statements_ms']:>15}"
        )
    budget = report["budget"]
    print(
        f"{'all':<10}{report['cpu_ms_per_applicant']:>10}\n"
        f"the 0.10 ratio at a bare view of {budget['bare_rate']:g} a second allows "
        f"{budget['cpu_ms_per_applicant_for_0.10']} ms: {budget['over_budget']}x over"
    )
    for name, ok in report["checks"].items():
        print(f"  {'ok ' if ok else 'FAIL'} {name}")


if __name__ == "__main__":
    sys.exit(main())
