"""The quota-release rush as real traffic (issue 8): through the webhook, with real processes.

bench/rush.py measures the rush in-process; this runs it the way it happens. A fresh
installation (`antrean migrate`, `antrean seed-demo`) in a temporary folder, on SQLite or on
a new database of DATABASE_URL's PostgreSQL server (REDIS_URL passed on), as bench/e2e.py
sets up; `antrean serve` (granian) and `antrean worker`; the Graph API stand-in
(bench/graph_stub.py) receiving and recording every reply.

  setup    a lottery office of its own (its own WhatsApp number) whose release of next
           month's days is open now, by the wall clock; its seats per day are sized so the
           release gives about BENCH_RUSH_SEATS seats (91 x 22 working days, like rush.py).
           The window closes BENCH_RUSH_CLOSE s after the last post is due.
  rush     BENCH_RUSH_ENTRIES different applicants each post one LAW booking message
           (`#Nama#DDMMYYYY#DDMMYYYY`, a day of the release) as a signed webhook shaped like
           Meta's, open loop spread evenly over BENCH_RUSH_SECONDS (20,000 in 60 s: 333/s),
           latency counted from when each post was due, on at most BENCH_RUSH_CONNECTIONS
           connections at once (a post waiting for one is queued at the sender, as at
           Meta, whose concurrency is not published). A request not answered within
           BENCH_RUSH_TIMEOUT s of being sent is a timeout; a timeout, a non-200 or a
           refused connection is re-posted, the same body, as Meta re-delivers (after 5 s,
           then 10, 20, 40... exponential backoff), until BENCH_RUSH_GIVE_UP s after the
           last was due.
  accept   until every entrant's entry acknowledgement (a text with their lottery number)
           reached the Graph stand-in.
  allocate once the window closed and everyone is in, the draw is started as an operator
           could (`antrean shell -c`, calling the job the worker runs every minute) rather
           than waiting up to a minute for the worker's tick; if the tick came first, it
           did the draw and that is reported. Timed from the draw's start to the release
           being all given.
  answer   until every entrant's result (winner: the booking code with Konfirmasi / Batal
           buttons, an interactive message; loser: a text with their place) reached the
           Graph stand-in. "total" is from the first post due to the last result.

Checked afterwards (a failure exits 1): every entrant's webhook answered 200 in the end; one
lottery entry per applicant, tickets 1..N; every entrant decided, as many winners as seats
(or everyone, when fewer entered), each winner exactly one live booking, no refusals; no
hour or day over its capacity and the counters equal to the bookings; every entrant got
exactly two messages: the acknowledgement naming their ticket, then their result (the
winner's naming their booking code), and nobody else got any; nothing left unprocessed
or unsent. CPU per process (percent of one core) is reported for the rush and for the
draw and answers. The table is printed and written to bench/results/DATE-rush-webhook-DB.json
with the date, machine, commit (and files changed under antrean/), configuration and numbers.

Environment (defaults in brackets): BENCH_RUSH_ENTRIES [20000], BENCH_RUSH_SECONDS [60],
BENCH_RUSH_SEATS [2000], BENCH_RUSH_TIMEOUT [10 s], BENCH_RUSH_CLOSE [10 s],
BENCH_RUSH_GIVE_UP [900 s], BENCH_RUSH_CONNECTIONS [200, at most open at once],
BENCH_RUSH_STALL [300 s without a new reply: stop waiting], and as bench/e2e.py: WEB_WORKERS
[1], WEB_THREADS [8], BENCH_WORKERS [1], WORKER_THREADS [4], WHATSAPP_THROUGHPUT [1000],
BENCH_KEEP [0: remove the temp folder].
"""

import asyncio
import datetime
import json
import math
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import e2e  # noqa: E402
import loadgen  # noqa: E402

from antrean.ops.tests.processes import ANTREAN  # noqa: E402


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


ENTRIES = _int("BENCH_RUSH_ENTRIES", 20000)
SECONDS = _int("BENCH_RUSH_SECONDS", 60)
SEATS = _int("BENCH_RUSH_SEATS", 2000)
TIMEOUT = float(os.environ.get("BENCH_RUSH_TIMEOUT") or 10)
CLOSE_AFTER = _int("BENCH_RUSH_CLOSE", 10)
GIVE_UP = _int("BENCH_RUSH_GIVE_UP", 900)
CONNECTIONS = _int("BENCH_RUSH_CONNECTIONS", 200)
STALL = _int("BENCH_RUSH_STALL", 300)
RATE = ENTRIES / SECONDS

NUMBER = "100000000009901"  # the lottery office's WhatsApp number (phone_number_id)
HOURS = (datetime.time(8), datetime.time(12))  # opening hours, as rush.py's office
TIMED_OUT, REFUSED = -1, 0  # attempt outcomes that are not an HTTP status


def phone(i: int) -> str:
    return f"628573{i:07d}"


def wamid(i: int) -> str:
    return f"wamid.BENCHRUSH{i:08d}"


def pick(values: list, q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def percentiles(values, scale: float = 1.0, digits: int = 2) -> dict:
    values = sorted(v * scale for v in values if v is not None)
    if not values:
        return {}
    return {
        "p50": round(pick(values, 0.50), digits),
        "p95": round(pick(values, 0.95), digits),
        "p99": round(pick(values, 0.99), digits),
        "max": round(values[-1], digits),
    }


# --- posting like Meta ---------------------------------------------------------------------
class Posting:
    """Every entrant's webhook: each attempt's outcome and when it was answered."""

    def __init__(self, count: int):
        self.attempts: list[list[int]] = [[] for _ in range(count)]  # status, -1 timeout
        self.first: list = [None] * count  # first attempt: seconds from due to its end
        self.accepted: list = [None] * count  # seconds from due to the 200 (after re-posts)
        self.accepted_at: list = [None] * count  # wall time of the 200
        self.started = 0.0  # wall time the first post was due
        self.lag_max = 0.0  # how late the generator started a post, at worst
        self.cpu_seconds = 0.0
        self.opened = 0  # connections opened

    def summary(self) -> dict:
        tries = [a for attempts in self.attempts for a in attempts]
        outcomes = Counter(tries)
        ok = [t for t in self.accepted_at if t is not None]
        return {
            "entrants": len(self.attempts),
            "accepted": len(ok),
            "attempts": len(tries),
            "reposts": len(tries) - len(self.attempts),
            "entrants_reposted": sum(1 for a in self.attempts if len(a) > 1),
            "timeouts": outcomes[TIMED_OUT],
            "connection_errors": outcomes[REFUSED],
            "errors": {str(k): v for k, v in outcomes.items() if k not in (200, TIMED_OUT, 0)},
            "timeout_s": TIMEOUT,
            "seconds_to_last_200": round(max(ok) - self.started, 2) if ok else None,
            "first_attempt_ms": percentiles(self.first, 1000, 1),
            "until_200_ms": percentiles(self.accepted, 1000, 1),
            "generator_lag_max_ms": round(self.lag_max * 1000, 1),
            "generator_cpu_seconds": round(self.cpu_seconds, 2),
            "connections_opened": self.opened,
        }


async def _post_all(port: int, make, count: int, rate: float, posting: Posting) -> None:
    """Open loop: entrant i's first post is due at start + i / rate whatever the answers do
    (no coordinated omission); a failed one is re-posted later, the same bytes."""
    slots = asyncio.Semaphore(CONNECTIONS)
    idle: list[loadgen.Connection] = []

    async def attempt(data: bytes) -> int:
        # Waiting for a free connection is queueing at the sender (it shows in the latency
        # from due); the timeout is the HTTP request's own, from when it is sent.
        async with slots:
            connection = idle.pop() if idle else None
            if connection is None:
                connection = await asyncio.wait_for(loadgen.Connection.open(port), TIMEOUT)
                posting.opened += 1
            try:
                status = await asyncio.wait_for(connection.exchange(data), TIMEOUT)
            except BaseException:
                connection.close()  # cut off mid-answer (a timeout): never reused
                raise
            if connection.closed:
                connection.close()
            else:
                idle.append(connection)
            return status

    async def entrant(i: int, due: float, give_up: float) -> None:
        data = make(i)
        tries = 0
        while True:
            try:
                status = await attempt(data)
            except TimeoutError:
                status = TIMED_OUT
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                status = REFUSED
            now = time.perf_counter()
            posting.attempts[i].append(status)
            if tries == 0:
                posting.first[i] = now - due
            if status == 200:
                posting.accepted[i], posting.accepted_at[i] = now - due, time.time()
                return
            if now > give_up:
                return
            # Exponential backoff, uncapped: a fixed short delay would keep a saturated
            # web busy with posts that are abandoned before their answer.
            await asyncio.sleep(5 * 2**tries)
            tries += 1

    cpu = os.times()
    start = time.perf_counter() + 0.01
    posting.started = time.time() + 0.01
    give_up = start + count / rate + GIVE_UP
    tasks, posting.lag_max = await loadgen.paced(
        count, rate, start, lambda i, due: entrant(i, due, give_up)
    )
    await asyncio.gather(*tasks)
    for connection in idle:
        connection.close()
    after = os.times()
    posting.cpu_seconds = (after.user - cpu.user) + (after.system - cpu.system)


# --- the run -------------------------------------------------------------------------------
class Rush(e2e.Run):
    def setup(self) -> None:
        self.install()
        from django.utils import timezone

        from antrean.offices.models import Office, ReleaseMode, WhatsAppNumber
        from antrean.offices.schedules import schedule_for
        from antrean.release import draw
        from antrean.release.models import Release

        now = timezone.now()
        office = Office.objects.create(
            code="bench-rush",
            name="Bench Rush",
            office_class="I_TPI",
            city="Bench",
            province="Bench",
            timezone="Asia/Jakarta",
            opens_at=HOURS[0],
            closes_at=HOURS[1],
            daily_regular=1,  # sized below, once the release's working days are known
            daily_priority=0,
            daily_percepatan=0,
            horizon_days=70,  # next month's last day lies within it, whatever today is
            release_mode=ReleaseMode.LOTTERY,
        )
        WhatsAppNumber.objects.create(
            office=office, phone_number_id=NUMBER, display_phone_number="-"
        )
        schedule = schedule_for(office, now)
        first, last = draw.next_month(schedule.today(now))
        days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
        self.days = [day for day in days if schedule.is_open(day)]
        office.daily_regular = math.ceil(SEATS / len(self.days))
        hours = HOURS[1].hour - HOURS[0].hour
        office.capacity_per_hour = math.ceil(office.daily_regular / hours)
        office.save(update_fields=["daily_regular", "capacity_per_hour"])
        self.office, self.seats = office, office.daily_regular * len(self.days)
        seed = draw.new_seed()
        # Open since a minute ago (Meta's timestamps are whole seconds); closed once the
        # posting's start is known (`rush`).
        opens = now.replace(microsecond=0) - datetime.timedelta(minutes=1)
        self.release = Release.objects.create(
            office=office,
            first_day=first,
            last_day=last,
            opens_at=opens,
            closes_at=opens + datetime.timedelta(days=1),
            seed=seed,
            seed_hash=draw.seed_hash(seed),
            created_at=now,
        )
        self.report["release"] = {
            "days": f"{first}..{last}",
            "working_days": len(self.days),
            "seats_per_day": office.daily_regular,
            "seats_per_hour": office.capacity_per_hour,
            "seats": self.seats,
        }

    def post(self, i: int) -> bytes:
        day = self.days[i % len(self.days)]
        return e2e.webhook_post(
            self.web_port,
            phone(i),
            e2e.law_text(i, day),
            wamid=wamid(i),
            number=NUMBER,
            timestamp=int(time.time()),  # when the person wrote: now, as the post is due
        )

    def records(self) -> list:
        """[arrival, to, type, text] of every reply (fetched once: it is megabytes)."""
        return e2e.graph_get(self.graph_port, "texts")

    def watch_release(self) -> None:
        """Note when the release is seen allocated: the worker's periodic job may draw
        before everyone is acknowledged, and `allocated_at` is the pass's start, not end."""
        from antrean.release.models import Release

        if getattr(self, "seen_allocated", None) is None:
            if Release.objects.filter(pk=self.release.pk, allocated_at__isnull=False).exists():
                self.seen_allocated = time.time()

    def wait(self, done, what: str) -> bool:
        """Poll the Graph stand-in's counts until `done(stats)`; False after STALL s without
        a new reply."""

        def each(stats: dict) -> None:
            self.watch_release()
            self.report["graph_stats"] = stats | {
                "seconds_from_first_post": round(time.time() - self.t0, 1)
            }

        stats, finished = e2e.wait_for_graph(
            self.graph_port, done, each=each, every=0.5, stall=STALL
        )
        if not finished:
            print(f"  {what}: no reply for {STALL} s, {stats['messages']} arrived; giving up")
        return finished

    def rush(self) -> None:
        from antrean.release.models import Release

        # The window closes CLOSE_AFTER s after the last post is due.
        start = time.time() + 1
        closes = datetime.datetime.fromtimestamp(
            math.ceil(start + SECONDS + CLOSE_AFTER), tz=datetime.UTC
        )
        Release.objects.filter(pk=self.release.pk).update(closes_at=closes)
        self.closes = closes.timestamp()
        time.sleep(max(0.0, start - time.time()))

        posting = Posting(ENTRIES)
        cpu = e2e.Cpu(self.cpu_groups).begin()
        asyncio.run(_post_all(self.web_port, self.post, ENTRIES, RATE, posting))
        cpu_posting = cpu.end()
        self.posting = posting
        self.t0 = posting.started
        summary = posting.summary()
        print(
            f"  posted: {summary['accepted']}/{ENTRIES} accepted, {summary['timeouts']} "
            f"timeouts, {summary['errors']} errors, {summary['reposts']} re-posts; "
            "waiting for the acknowledgements...",
            flush=True,
        )
        self.report["phases"]["rush"] = {
            "webhook": summary,
            "offered_per_second": round(RATE, 1),
            "window_closed_at_s": round(self.closes - self.t0, 2),
            "cpu_percent_while_posting": cpu_posting,
        }
        complete = self.wait(lambda stats: stats["recipients"] >= ENTRIES, "accept")
        cpu_accept = cpu.end()
        records = self.records()
        first = {}
        for at, to, _, _ in sorted(records):
            first.setdefault(to, at)
        acked = [
            first[phone(i)] - (self.t0 + i / RATE) for i in range(ENTRIES) if phone(i) in first
        ]
        last_ack = max(first.values(), default=self.t0)
        self.report["phases"]["rush"] |= {
            "acknowledged": len(acked),
            "accept_seconds": round(last_ack - self.t0, 2),
            "ack_seconds_from_due": percentiles(acked),
            "cpu_percent": cpu_accept,
        }
        self.report["web_memory"] = e2e.memory(e2e.family(self.web))
        if not complete:
            raise RuntimeError(f"only {len(acked)} of {ENTRIES} entrants were acknowledged")

    def allocate(self) -> None:
        from antrean.release.models import Release

        time.sleep(max(0.0, self.closes - time.time() + 0.5))  # the draw: after the close
        code = (
            "import json, resource, time\n"
            "from django.utils import timezone\n"
            "from antrean.release import jobs\n"
            "began = time.monotonic()\n"
            "done = jobs.run(timezone.now())\n"
            "use = resource.getrusage(resource.RUSAGE_SELF)\n"
            "print(json.dumps({'seconds': time.monotonic() - began, 'done': str(done),"
            " 'cpu_seconds': use.ru_utime + use.ru_stime}))\n"
        )
        cpu = e2e.Cpu(self.cpu_groups).begin()
        triggered = time.time()
        out = subprocess.run(
            [ANTREAN, "shell", "-c", code], env=self.env, capture_output=True, text=True, check=True
        )
        operator = json.loads(out.stdout.strip().splitlines()[-1])
        # If the worker's tick drew first, its lease kept the operator's pass out: wait for
        # it (and for a later tick, if the draw still waited for messages).
        deadline = time.monotonic() + STALL
        while True:
            release = Release.objects.get(pk=self.release.pk)
            if release.allocated_at is not None:
                self.watch_release()
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"release not allocated {STALL} s after the operator's pass")
            time.sleep(0.25)
        allocated = self.seen_allocated  # to within a poll (0.5 s)
        drawn = release.drawn_at.timestamp()  # the `now` of the pass that drew
        ours = f"release {release.pk}" in operator["done"]
        by = "operator" if ours else "worker's periodic job"
        if ours:  # its own clock, without the shell's start and end
            allocated = drawn + operator["seconds"]
        print(
            f"  drawn by the {by}; allocated in {allocated - drawn:.1f} s; answers...", flush=True
        )

        phones = {phone(i) for i in range(ENTRIES)}
        self.wait(lambda stats: stats["messages"] >= 2 * ENTRIES, "answer")
        cpu_answer = cpu.end()
        records = self.records()
        by_phone = defaultdict(list)
        for at, to, kind, text in sorted(records):
            by_phone[to].append((at, kind, text))
        results = [rows[1][0] for p, rows in by_phone.items() if p in phones and len(rows) > 1]
        last = max(results, default=drawn)
        self.by_phone = by_phone
        self.report["phases"]["allocate"] = {
            "drawn_by": by,
            "draw_started_s": round(drawn - self.t0, 2),
            "allocate_seconds": round(allocated - drawn, 2),
            "operator_pass": operator | {"started_s": round(triggered - self.t0, 2)},
            "tally": str(operator["done"]),
        }
        self.report["phases"]["answer"] = {
            "answered": len(results),
            "answer_seconds": round(last - drawn, 2),
            "result_seconds_from_draw": percentiles([t - drawn for t in results]),
            "cpu_percent": cpu_answer,
        }
        self.report["total_seconds"] = round(last - self.t0, 2)

    # --- what must hold afterwards -------------------------------------------------------
    def check(self) -> None:
        from django.db import connection

        from antrean.booking.models import Booking
        from antrean.release.models import Entry, Outcome, Release
        from antrean.whatsapp.models import InboundMessage

        problems = []
        unaccepted = [i for i, at in enumerate(self.posting.accepted_at) if at is None]
        if unaccepted:
            problems.append(f"{len(unaccepted)} entrant(s) never got a 200, e.g. {unaccepted[:5]}")

        release = Release.objects.get(pk=self.release.pk)
        entries = list(
            Entry.objects.filter(release=release).values_list(
                "phone", "ticket", "outcome", "booking_id"
            )
        )
        phones = {phone(i) for i in range(ENTRIES)}
        per_phone = Counter(p for p, *_ in entries)
        if set(per_phone) != phones or set(per_phone.values()) != {1}:
            missing = len(phones - set(per_phone))
            extra = {p: n for p, n in per_phone.items() if n != 1 or p not in phones}
            problems.append(f"entries: {missing} entrant(s) without one, others {extra}")
        tickets = sorted(t for _, t, _, _ in entries)
        if tickets != list(range(1, len(entries) + 1)) or release.entries != len(entries):
            problems.append(f"tickets are not 1..{len(entries)} (release says {release.entries})")
        outcomes = Counter(o for _, _, o, _ in entries)
        won = outcomes[Outcome.WON]
        if won != min(len(entries), self.seats):
            problems.append(f"{won} winners for {self.seats} seats and {len(entries)} entrants")
        if set(outcomes) - {Outcome.WON, Outcome.LOST}:
            problems.append(f"entries not won or lost: {dict(outcomes)}")
        if release.drawn_at is None or release.allocated_at is None:
            problems.append("the release was not drawn and allocated")

        bookings = {
            b.pk: b for b in Booking.objects.filter(office=self.office).only("code", "phone")
        }
        booked_phones = Counter(b.phone for b in bookings.values())
        winners = {p: bookings.get(b) for p, _, o, b in entries if o == Outcome.WON}
        if len(bookings) != won or any(
            b is None or b.phone != p or booked_phones[p] != 1 for p, b in winners.items()
        ):
            problems.append(f"{len(bookings)} bookings for {won} winners, not one each")
        counted_slots, regular = e2e.capacity_problems(self.office, problems)

        # Exactly two messages each: the entry's number, then the result.
        wrong = {}
        for p, ticket, outcome, booking_id in entries:
            got = [(kind, text) for _, kind, text in self.by_phone.get(p, [])]
            ack_ok = len(got) == 2 and got[0][0] == "text" and f"*{ticket}*" in got[0][1]
            if outcome == Outcome.WON:
                code = bookings[booking_id].code if booking_id in bookings else "?"
                result_ok = len(got) == 2 and got[1][0] == "interactive" and code in got[1][1]
            else:
                result_ok = len(got) == 2 and got[1][0] == "text" and f" {ticket}" in got[1][1]
            if not (ack_ok and result_ok):
                wrong[p] = [kind for kind, _ in got]
        if wrong:
            sample = dict(list(wrong.items())[:5])
            problems.append(f"{len(wrong)} entrant(s) without exactly ack + result: {sample}")
        strangers = set(self.by_phone) - phones
        if strangers:
            problems.append(f"replies to {len(strangers)} number(s) nobody used")
        stats = e2e.graph_get(self.graph_port, "stats")
        if stats["refused"]:
            problems.append(f"the Graph stand-in refused {stats['refused']} call(s)")

        stored = InboundMessage.objects.filter(contact__number__phone_number_id=NUMBER).count()
        if stored != ENTRIES:
            problems.append(f"{stored} inbound messages stored for {ENTRIES} entrants")
        outbox = e2e.work_left(problems)
        connection.close()
        self.report["checks"] = {
            "entries": len(entries),
            "outcomes": dict(outcomes),
            "bookings": len(bookings),
            "seats": self.seats,
            "fullest_hour": max(counted_slots.values(), default=0),
            "fullest_day": max(regular, default=0),
            "inbound_stored": stored,
            "outbox": outbox,
            "problems": problems,
        }


# --- the report ----------------------------------------------------------------------------
def show(report: dict) -> None:
    config, phases = report["config"], report["phases"]
    print(
        f"\nquota release rush through the webhook on {report['database']} "
        f"({report['machine']['cpus']} cpu), " + ", ".join(f"{k}={v}" for k, v in config.items())
    )
    print(f"release {report['release']}")
    rush = phases.get("rush", {})
    hook = rush.get("webhook", {})
    if hook:
        first, final = hook["first_attempt_ms"], hook["until_200_ms"]
        print(
            f"\nwebhook: {hook['entrants']} entrants at {rush['offered_per_second']}/s, "
            f"{hook['accepted']} accepted (200), {hook['timeouts']} timeouts (> {TIMEOUT:g} s), "
            f"{hook['connection_errors']} connection errors, errors {hook['errors']}, "
            f"{hook['reposts']} re-posts for {hook['entrants_reposted']} entrants"
        )
        print(f"{'webhook latency from due':<28} {'p50':>9} {'p95':>9} {'p99':>9} {'max':>9}")
        for name, p in (("first post (ms)", first), ("until the 200 (ms)", final)):
            if p:
                print(
                    f"{name:<28} {p['p50']:>9.1f} {p['p95']:>9.1f} {p['p99']:>9.1f} "
                    f"{p['max']:>9.1f}"
                )
        ack = rush.get("ack_seconds_from_due", {})
        if ack:
            print(
                f"{'entry acknowledgement (s)':<28} {ack['p50']:>9.2f} {ack['p95']:>9.2f} "
                f"{ack['p99']:>9.2f} {ack['max']:>9.2f}"
            )
    print(f"\n{'phase':<44} {'seconds':>8}")
    rows = [
        ("accept (first post due -> last acknowledgement)", rush.get("accept_seconds")),
        ("window closed (from the first post)", rush.get("window_closed_at_s")),
        ("draw started (from the first post)", phases.get("allocate", {}).get("draw_started_s")),
        ("draw + allocate", phases.get("allocate", {}).get("allocate_seconds")),
        ("answer (draw -> last result)", phases.get("answer", {}).get("answer_seconds")),
        ("total (first post due -> last result)", report.get("total_seconds")),
    ]
    for name, seconds in rows:
        print(f"{name:<44} {seconds if seconds is not None else '-':>8}")
    if "allocate" in phases:
        print(f"drawn by the {phases['allocate']['drawn_by']}: {phases['allocate']['tally']}")
    print("\nCPU, % of one core:")
    for name, cpu in (
        ("posting", rush.get("cpu_percent_while_posting")),
        ("posting + accept", rush.get("cpu_percent")),
        ("draw + answer", phases.get("answer", {}).get("cpu_percent")),
    ):
        if cpu:
            print(f"  {name:<18} " + ", ".join(f"{k} {v}" for k, v in cpu.items()))
    checks = report.get("checks", {"problems": []})
    if "entries" in checks:
        print(
            f"\nchecks: {checks['entries']} entries {checks['outcomes']}, {checks['bookings']} "
            f"bookings for {checks['seats']} seats, fullest hour {checks['fullest_hour']}, "
            f"fullest day {checks['fullest_day']}, outbox {checks['outbox']}"
        )
    for problem in checks["problems"]:
        print(f"  PROBLEM: {problem}")
    if not checks["problems"]:
        print("  all checks passed")


def main() -> int:
    run = Rush()
    report = run.report
    report.update(
        **e2e.header(run.vendor),
        config={
            "entries": ENTRIES,
            "seconds": SECONDS,
            "seats_asked": SEATS,
            "timeout_s": TIMEOUT,
            "close_after_s": CLOSE_AFTER,
            "connections": CONNECTIONS,
            "repost_after_s": "5 x 2^k",
            "give_up_s": GIVE_UP,
            **e2e.layout(run.env),
        },
    )
    print(f"rush benchmark (webhook) in {run.folder}", flush=True)
    failure = None
    try:
        run.setup()
        print(
            f"  installed in {report['setup_seconds']} s; {run.seats} seats over "
            f"{len(run.days)} days; {ENTRIES} entrants over {SECONDS} s...",
            flush=True,
        )
        run.stack()
        run.rush()
        run.allocate()
        run.check()
    except (Exception, KeyboardInterrupt) as error:  # what was measured is still recorded
        failure = f"{type(error).__name__}: {error}"
        report.setdefault("checks", {"problems": []})["problems"].append(f"run failed: {failure}")
        import traceback

        traceback.print_exc()
    finally:
        run.close()
    show(report)
    return e2e.conclude(run, report, "rush-webhook", keep=e2e.KEEP or bool(failure))


if __name__ == "__main__":
    sys.exit(main())
