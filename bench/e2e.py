"""`make bench` (issue 9): the whole service under load, as real processes.

A fresh installation (`antrean migrate`, `antrean seed-demo`) in a temporary folder, on
SQLite or on a new database of DATABASE_URL's PostgreSQL server (REDIS_URL is passed on
too); `antrean serve` (granian) and `antrean worker` as an operator starts them; a local
Graph API stand-in (bench/graph_stub.py, its own process) receiving the replies; signed
webhook updates shaped like Meta's from a raw-asyncio load generator (bench/loadgen.py).

  3. reference  `antrean serve` with bench/bare_settings.py: the project's settings and
                middleware, one view answering "ok" to the same signed POST. Its
                closed-loop rate is the yardstick the end-to-end rate is divided by, so
                runs compare across machines; its latency in the acknowledgement's open
                loop shows what p99 the machine allows at that rate at all. Its rate
                is measured again after the rest (`bare_after`), and the ratio is to the
                mean of the two: the machine's own speed drifts within minutes.
  2. end to end N applicants (each its own wa_id) send a LAW booking message
                `#Nama#DDMMYYYY#DDMMYYYY`, posted as fast as the web acknowledges; timed
                from the first POST to the last reply reaching the Graph stand-in. The
                asked days are crowded on purpose (BENCH_E2E_PER_DAY people per day, more
                than its 350 seats), so bookings move to later days under contention.
                Checked: every applicant exactly one booking, exactly the two replies
                (QR image, then the details with buttons) and nothing else; no hour and no
                day over capacity, and the counters equal to the bookings they count.
  1. ack        open loop at BENCH_ACK_RATE/s for BENCH_ACK_SECONDS (latency counted from
                when each request was due), first while the worker runs beside the web
                (one machine), then with the worker stopped (web alone); then closed loop
                at the web's maximum rate. What is still unanswered BENCH_ACK_GRACE s
                after the last request was due is given up on and counted. Checked
                afterwards: every update answered 200 is in the database.
  memory        RSS (and peak) of each web process, from /proc, after the load.

Every phase reports the CPU each process used (percent of one core; "anything else" is
the rest of the machine, e.g. a test suite running beside), which shows what saturates.
The table is printed and written to bench/results/DATE-e2e-DB.json (-2, -3 for the day's
later runs) with the date, machine, commit (and the files changed under antrean/ since),
configuration and numbers.
Targets are reported, never asserted; a failed correctness check exits 1.

Environment (defaults in brackets): BENCH_E2E_MESSAGES [3000], BENCH_E2E_PER_DAY [400],
BENCH_E2E_WARMUP [20], BENCH_E2E_STALL [60 s without a reply: give up], BENCH_ACK_RATE
[500], BENCH_ACK_SECONDS [10], BENCH_ACK_GRACE [10], BENCH_MAX_SECONDS [5], BENCH_BARE_SECONDS [5],
BENCH_CONCURRENCY [32 connections], WEB_WORKERS [1], WEB_THREADS [8], BENCH_WORKERS
[WORKER_PROCESSES, else 2: the `antrean worker` processes `antrean run` starts],
WORKER_NICE [10, as `antrean run` lowers its workers' CPU priority], WORKER_THREADS [4],
WHATSAPP_THROUGHPUT [1000, Meta's maximum; the default 80 would be the limit],
BENCH_KEEP [0: remove the temp folder].
"""

import datetime
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import loadgen  # noqa: E402

from antrean.ops.management.commands.run import (  # noqa: E402
    WORKER_NICE,
    WORKER_PROCESSES,
)
from antrean.ops.tests.processes import (  # noqa: E402
    JAKARTA_PUSAT,
    descendants,
    environment,
    free_port,
    prepare,
    start,
    stop,
    wait_for,
)
from antrean.simulator import cloud  # noqa: E402
from antrean.whatsapp.signature import sign  # noqa: E402


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


N = _int("BENCH_E2E_MESSAGES", 3000)  # ~10 s: the pipeline's fill and drain (~1 s) weigh little
PER_DAY = _int("BENCH_E2E_PER_DAY", 400)
WARMUP = _int("BENCH_E2E_WARMUP", 20)
STALL = _int("BENCH_E2E_STALL", 60)
ACK_RATE = _int("BENCH_ACK_RATE", 500)
ACK_SECONDS = _int("BENCH_ACK_SECONDS", 10)
ACK_GRACE = _int("BENCH_ACK_GRACE", 10)
MAX_SECONDS = _int("BENCH_MAX_SECONDS", 5)
BARE_SECONDS = _int("BENCH_BARE_SECONDS", 5)
CONCURRENCY = _int("BENCH_CONCURRENCY", 32)
WEB_WORKERS = _int("WEB_WORKERS", 1)
WEB_THREADS = _int("WEB_THREADS", 8)
WORKERS = _int("BENCH_WORKERS", _int("WORKER_PROCESSES", WORKER_PROCESSES))  # as `antrean run`
WORKER_THREADS = _int("WORKER_THREADS", 4)
THROUGHPUT = _int("WHATSAPP_THROUGHPUT", 1000)
KEEP = os.environ.get("BENCH_KEEP", "") not in ("", "0")

SECRET, TOKEN = "bench-app-secret", "bench-access-token"
DISPLAY = "+62 812-9900-4406"
EXPECTED_REPLIES = ["image", "interactive"]  # the QR code, then the details and buttons
TARGETS = {"e2e_ratio": 0.10, "ack_p99_ms": 50.0, "ack_rate": 500, "web_rss_mb": 150}

FIRST = ["Budi", "Siti", "Agus", "Dewi", "Rudi", "Wati", "Joko", "Rina", "Eko", "Sri", "Andi"]
LAST = ["Santoso", "Wijaya", "Lestari", "Saputra", "Hidayat", "Kusuma", "Pratama", "Nugroho"]
CLK = os.sysconf("SC_CLK_TCK")
CEILING = 5000  # requests a second no server here reaches: sizes the closed-loop runs


# --- what people send ----------------------------------------------------------------------
def law_text(i: int, visit: datetime.date) -> str:
    name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}"
    birth = datetime.date(1970 + i % 35, 1 + i % 12, 1 + i % 28)
    return f"#{name}#{birth:%d%m%Y}#{visit:%d%m%Y}"


def webhook_post(
    port: int,
    wa_id: str,
    text: str,
    path: str = "/webhooks/whatsapp",
    wamid: str | None = None,
    *,
    number: str = JAKARTA_PUSAT,
    timestamp: int | None = None,
) -> bytes:
    """A signed POST, byte for byte what Meta sends for one text message (to our business
    `number`, written at `timestamp`: now unless given)."""
    message = cloud.inbound_message(
        wa_id=wa_id, kind="text", text=text, wamid=wamid, timestamp=timestamp
    )
    body = cloud.dumps(cloud.message_envelope(number, DISPLAY, message, "Pemohon"))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "facebookexternalua",
        "X-Hub-Signature-256": sign(body, SECRET),
    }
    return loadgen.http_request("POST", path, port, body, headers)


def e2e_phone(i: int) -> str:
    return f"628571{i:07d}"


def ack_phone(i: int) -> str:
    return f"628572{i:07d}"


def ack_wamid(i: int) -> str:
    return f"wamid.BENCHACK{i:08d}"


# --- processes -----------------------------------------------------------------------------
def cpu_seconds(pids) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / CLK
    return out


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Cpu:
    """CPU used by each group of processes between `begin` and `end`, in % of one core."""

    def __init__(self, groups: dict):
        self.groups = groups  # name -> callable returning pids

    def begin(self):
        self.t0, self.m0 = time.monotonic(), machine_busy()
        self.s0 = {name: cpu_seconds(pids()) for name, pids in self.groups.items()}
        self.self0 = os.times()
        return self

    def end(self) -> dict:
        wall = time.monotonic() - self.t0
        m1 = machine_busy()
        out = {}
        for name, pids in self.groups.items():
            now = cpu_seconds(pids())
            used = sum(v - self.s0[name].get(pid, 0.0) for pid, v in now.items())
            out[name] = round(100 * used / wall)
        t = os.times()
        out["load generator"] = round(
            100 * ((t.user - self.self0.user) + (t.system - self.self0.system)) / wall
        )
        machine = 100 * (os.cpu_count() or 1) * (m1[0] - self.m0[0]) / max(1, m1[1] - self.m0[1])
        out["anything else"] = max(0, round(machine - sum(out.values())))
        out["machine (all cores)"] = round(machine)
        return out


def family(process) -> set[int]:
    return {process.pid} | descendants(process.pid)


def backends(database: bytes) -> set[int]:
    """PostgreSQL server processes serving `database` (their title names it)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"postgres: ") and b" " + database + b" " in title:
                found.add(int(entry.name))
    return found


def memory(pids) -> list[dict]:
    rows = []
    for pid in sorted(pids):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        kb = {
            line.split(":")[0]: int(line.split()[1])
            for line in status.splitlines()
            if line.startswith(("VmRSS", "VmHWM"))
        }
        rows.append(
            {
                "pid": pid,
                "command": cmd.strip()[:80],
                "rss_mb": round(kb.get("VmRSS", 0) / 1024, 1),
                "peak_mb": round(kb.get("VmHWM", 0) / 1024, 1),
            }
        )
    return rows


def wait_for_log(log: Path, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in (log.read_text(errors="replace") if log.exists() else ""):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{log.name} never said {text!r}:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)


def graph_get(port: int, what: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__{what}", timeout=30) as response:
        return json.loads(response.read())


def work_left(problems: list) -> dict:
    """Nothing left undone: every message processed, every webhook body ingested, every
    reply sent (what is wrong is added to `problems`); the outbox's rows per state."""
    from antrean.whatsapp.models import Delivery, InboundMessage, OutboundMessage

    unprocessed = InboundMessage.objects.exclude(state="processed").count()
    left = Delivery.objects.count()
    outbox = Counter(OutboundMessage.objects.values_list("state", flat=True))
    if unprocessed or left:
        problems.append(f"{unprocessed} message(s) unprocessed, {left} delivery(ies) left")
    if set(outbox) - {"sent"}:
        problems.append(f"outbox states {dict(outbox)}")
    return dict(outbox)


def capacity_problems(office, problems: list) -> tuple[Counter, list[int]]:
    """No hour or day of `office` over its capacity, and its counters equal to the live
    bookings they count (what is wrong is added to `problems`); the seats counted per
    (day, hour), and the regular seats taken per day."""
    from zoneinfo import ZoneInfo

    from django.db.models import F

    from antrean.booking.models import Booking, DayLoad, SlotLoad

    over_slots = SlotLoad.objects.filter(office=office, taken__gt=F("capacity")).count()
    over_days = DayLoad.objects.filter(office=office, taken__gt=F("capacity")).count()
    if over_slots or over_days:
        problems.append(f"{over_slots} hour(s) and {over_days} day(s) over their capacity")
    zone = ZoneInfo(office.timezone)
    counted_slots, counted_days = Counter(), Counter()
    for day, slot_at, seats, quota in Booking.objects.filter(
        office=office, status__in=["pending", "confirmed"]
    ).values_list("visit_date", "slot_at", "applicants", "quota"):
        counted_slots[(day, slot_at.astimezone(zone).time())] += seats
        counted_days[(day, quota)] += seats
    loads_slots = {
        (s.day, s.start): s.taken for s in SlotLoad.objects.filter(office=office) if s.taken
    }
    loads_days = {
        (d.day, d.quota): d.taken for d in DayLoad.objects.filter(office=office) if d.taken
    }
    if loads_slots != dict(counted_slots) or loads_days != dict(counted_days):
        problems.append("the hour/day counters differ from the bookings they count")
    if max(counted_slots.values(), default=0) > office.capacity_per_hour:
        problems.append(f"an hour holds {max(counted_slots.values())} > {office.capacity_per_hour}")
    regular = [n for (_, q), n in counted_days.items() if q == "regular"]
    if max(regular, default=0) > office.daily_regular:
        problems.append(f"a day holds {max(regular)} > {office.daily_regular} regular seats")
    return counted_slots, regular


# --- the run -------------------------------------------------------------------------------
class Run:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="antrean-e2e-"))
        self.graph_port, self.web_port, self.bare_port = free_port(), free_port(), free_port()
        self.env = environment(
            self.folder / "data",
            WHATSAPP_API_URL=f"http://127.0.0.1:{self.graph_port}/v23.0",
            WHATSAPP_ACCESS_TOKEN=TOKEN,
            WHATSAPP_APP_SECRET=SECRET,
            WHATSAPP_VERIFY_TOKEN="bench-verify-token",
            WHATSAPP_SIMULATOR="0",
            WHATSAPP_THROUGHPUT=str(THROUGHPUT),
            WEB_WORKERS=str(WEB_WORKERS),
            WEB_THREADS=str(WEB_THREADS),
            WORKER_THREADS=str(WORKER_THREADS),
        )
        # The server DATABASE_URL names; the run's own database is a new one on it.
        self.server_database = os.environ.get("DATABASE_URL", "")
        database = self.env.get("DATABASE_URL", "")
        self.vendor = "postgresql" if database.startswith("postgres") else "sqlite"
        self.processes: list = []
        self.report: dict = {"phases": {}}

    def start(self, args, name, **extra):
        log = self.folder / f"{name}.log"
        process = start(args, dict(self.env, **extra), log)
        self.processes.append(process)
        return process, log

    def close(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                try:
                    stop(process, timeout=20)
                except Exception:
                    process.kill()

    def drop_database(self) -> None:
        """The PostgreSQL database `environment()` created for this run, dropped."""
        ours, given = self.env.get("DATABASE_URL", ""), self.server_database
        if self.vendor != "postgresql" or ours == given:
            return
        import psycopg
        from django.db import connections

        connections.close_all()
        with psycopg.connect(given, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{ours.rsplit("/", 1)[1]}" WITH (FORCE)')

    # --- setup ---------------------------------------------------------------------------
    def install(self) -> None:
        """Migrate and seed the run's installation, then point this process's Django at its
        database (the checks read it directly)."""
        started = time.monotonic()
        prepare(self.env)
        self.report["setup_seconds"] = round(time.monotonic() - started, 1)
        for name in ("ANTREAN_DATA_DIR", "DATABASE_URL", "REDIS_URL", "WHATSAPP_SIMULATOR"):
            if name in self.env:
                os.environ[name] = self.env[name]
        os.environ["WHATSAPP_ACCESS_TOKEN"] = TOKEN
        os.environ["DJANGO_SETTINGS_MODULE"] = "antrean.settings"
        import django

        django.setup()

    def setup(self) -> None:
        self.install()
        from django.utils import timezone

        from antrean.offices.models import WhatsAppNumber
        from antrean.offices.schedules import schedule_for

        self.office = WhatsAppNumber.objects.get(phone_number_id=JAKARTA_PUSAT).office
        schedule = schedule_for(self.office, timezone.now())
        tomorrow = schedule.today(timezone.now()) + datetime.timedelta(days=1)
        days = [d for d in schedule.bookable_days(timezone.now()) if d > tomorrow]
        total = N + WARMUP
        needed = math.ceil(total / self.office.daily_regular)
        if needed > len(days):
            raise SystemExit(
                f"{total} applicants need {needed} days of {self.office.daily_regular} seats; "
                f"{self.office.name} has {len(days)}: lower BENCH_E2E_MESSAGES"
            )
        self.days = days[: max(1, total // PER_DAY)]  # more people than seats each day

    def visit(self, i: int) -> datetime.date:
        return self.days[i % len(self.days)]

    # --- 3. the reference ----------------------------------------------------------------
    def bare(self, phase: str = "bare", *, with_open: bool = True) -> None:
        pythonpath = os.pathsep.join(filter(None, [str(BENCH), self.env.get("PYTHONPATH")]))
        server, _ = self.start(
            ["serve"],
            "bare",
            PORT=str(self.bare_port),
            DJANGO_SETTINGS_MODULE="bare_settings",
            PYTHONPATH=pythonpath,
        )
        wait_for(f"http://127.0.0.1:{self.bare_port}/bare")
        bodies = [webhook_post(self.bare_port, e2e_phone(i), "x", "/bare") for i in range(100)]
        make = lambda i: bodies[i % 100]  # noqa: E731
        loadgen.closed_loop(self.bare_port, make, 500, CONCURRENCY)  # warm up
        cpu = Cpu({"web (bare)": lambda: family(server)}).begin()
        result = loadgen.closed_loop(
            self.bare_port, make, CEILING * BARE_SECONDS, CONCURRENCY, BARE_SECONDS
        )
        used = cpu.end()
        self.report["phases"][phase] = result.summary() | {"cpu_percent": used}
        if with_open:
            self.bare_open(server, make)
        stop(server)

    def bare_open(self, server, make) -> None:
        """The same open loop as the acknowledgement's: what p99 this machine allows at
        all; and the bare server's memory."""
        count = ACK_RATE * ACK_SECONDS
        cpu = Cpu({"web (bare)": lambda: family(server)}).begin()
        result = loadgen.open_loop(self.bare_port, make, count, ACK_RATE, ACK_GRACE)
        used = cpu.end()
        self.report["phases"]["bare_open"] = result.summary() | {
            "offered_per_second": ACK_RATE,
            "generator_lag_max_ms": round(result.lag_max * 1000, 1),
            "cpu_percent": used,
        }
        self.report["bare_memory"] = memory(family(server))

    # --- 2. end to end -------------------------------------------------------------------
    def stack(self) -> None:
        self.graph = subprocess.Popen(
            [sys.executable, str(BENCH / "graph_stub.py"), str(self.graph_port), TOKEN],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.processes.append(self.graph)
        assert self.graph.stdout.readline().strip() == "ready"
        self.web, _ = self.start(["serve"], "web", PORT=str(self.web_port))
        wait_for(f"http://127.0.0.1:{self.web_port}/healthz")
        self.workers = []
        for n in range(WORKERS):
            # At the CPU priority `antrean run` gives them, unless WORKER_NICE says.
            nice = str(layout(self.env)["worker_nice"])
            worker, log = self.start(["worker"], f"worker-{n}", WORKER_NICE=nice)
            wait_for_log(log, "to deliver")
            self.workers.append(worker)
        self.cpu_groups = {
            "web": lambda: family(self.web),
            "worker": lambda: set().union(*(family(w) for w in self.workers if w.poll() is None)),
            "graph stand-in": lambda: {self.graph.pid},
        }
        if self.vendor == "postgresql":
            name = self.env["DATABASE_URL"].rsplit("/", 1)[1].encode()
            self.cpu_groups["postgres (our database)"] = lambda: backends(name)

    def wait_for_replies(self, expected: int) -> dict:
        stats, done = wait_for_graph(self.graph_port, lambda s: s["messages"] >= expected)
        if not done:
            print(f"  no reply for {STALL} s: {stats['messages']} of {expected} arrived")
        return stats

    def end_to_end(self) -> None:
        port = self.web_port
        warm = [
            webhook_post(port, e2e_phone(N + i), law_text(N + i, self.visit(i)))
            for i in range(WARMUP)
        ]
        if warm:
            result = loadgen.closed_loop(port, warm.__getitem__, WARMUP, min(4, WARMUP))
            assert result.ok == WARMUP, result.summary()
            self.wait_for_replies(2 * WARMUP)
        bodies = [webhook_post(port, e2e_phone(i), law_text(i, self.visit(i))) for i in range(N)]
        cpu = Cpu(self.cpu_groups).begin()
        posted = loadgen.closed_loop(port, bodies.__getitem__, N, CONCURRENCY)
        cpu_posting = cpu.end()
        stats = self.wait_for_replies(2 * (N + WARMUP))
        cpu_all = cpu.end()
        records = graph_get(self.graph_port, "records")
        # The last reply of each applicant, and so the end of the run.
        by_phone = defaultdict(list)
        for at, to, kind in sorted(records):
            by_phone[to].append((at, kind))
        phones = [e2e_phone(i) for i in range(N)]
        done = [by_phone[p][-1][0] for p in phones if len(by_phone[p]) >= 2]
        finished = max(done) if done else time.time()
        seconds = finished - posted.started
        per_person = sorted(
            by_phone[p][-1][0] - posted.sent_at[i]
            for i, p in enumerate(phones)
            if len(by_phone[p]) >= 2
        )
        pick = lambda q: round(per_person[min(len(per_person) - 1, int(q * len(per_person)))], 2)  # noqa: E731
        self.report["phases"]["e2e"] = {
            "applicants": N,
            "answered": len(done),
            "seconds": round(seconds, 2),
            "per_second": round(len(done) / seconds, 1),
            "replies_per_second": round(2 * len(done) / seconds, 1),
            "posting": posted.summary(),
            "reply_seconds": {
                "p50": pick(0.5),
                "p90": pick(0.9),
                "p99": pick(0.99),
                "max": pick(1.0),
            }
            if per_person
            else {},
            "graph_stats": stats,
            "cpu_percent_while_posting": cpu_posting,
            "cpu_percent": cpu_all,
        }
        self.check(by_phone, stats)

    # --- what must hold afterwards -------------------------------------------------------
    def check(self, by_phone: dict, stats: dict) -> None:
        from django.db import connection

        problems = []
        phones = {e2e_phone(i) for i in range(N + WARMUP)}
        wrong = {p: [k for _, k in by_phone.get(p, [])] for p in phones}
        wrong = {p: kinds for p, kinds in wrong.items() if kinds != EXPECTED_REPLIES}
        strangers = set(by_phone) - phones
        if wrong:
            sample = dict(list(wrong.items())[:5])
            problems.append(
                f"{len(wrong)} applicant(s) without exactly {EXPECTED_REPLIES}: {sample}"
            )
        if strangers:
            problems.append(f"replies to {len(strangers)} number(s) nobody used")
        if stats["media"] != N + WARMUP:
            problems.append(f"{stats['media']} QR uploads for {N + WARMUP} bookings")
        if stats["refused"]:
            problems.append(f"the Graph stand-in refused {stats['refused']} call(s)")

        out = subprocess.run(
            [str(Path(sys.executable).with_name("antrean")), "bookings", "--json"],
            env=self.env,
            check=True,
            capture_output=True,
        )
        bookings = json.loads(out.stdout)
        per_phone = Counter(b["phone"] for b in bookings)
        if set(per_phone) != phones or set(per_phone.values()) != {1}:
            extra = {p: n for p, n in per_phone.items() if n != 1 or p not in phones}
            missing = len(phones - set(per_phone))
            problems.append(f"bookings: {missing} applicant(s) without, other counts {extra}")
        statuses = Counter(b["status"] for b in bookings)
        moved = sum(
            1 for b in bookings if b["visit_date"] not in {d.isoformat() for d in self.days}
        )

        counted_slots, regular = capacity_problems(self.office, problems)
        outbound = work_left(problems)
        connection.close()
        self.report["checks"] = {
            "bookings": len(bookings),
            "statuses": dict(statuses),
            "moved_to_a_later_day": moved,
            "asked_days": [d.isoformat() for d in self.days],
            "days_used": len({b["visit_date"] for b in bookings}),
            "fullest_hour": max(counted_slots.values(), default=0),
            "fullest_day": max(regular, default=0),
            "outbox": outbound,
            "problems": problems,
        }

    # --- 1. acknowledgement --------------------------------------------------------------
    def ack(self) -> None:
        port, count = self.web_port, ACK_RATE * ACK_SECONDS
        offset = 0

        acknowledged = []  # wamids answered 200: each must be stored ("a 200 is a promise")

        def bodies(n):
            nonlocal offset
            made = [
                webhook_post(
                    port,
                    ack_phone(offset + i),
                    law_text(i, self.visit(i)),
                    wamid=ack_wamid(offset + i),
                )
                for i in range(n)
            ]
            offset += n
            return made

        def note(result, first: int) -> None:
            acknowledged.extend(
                ack_wamid(first + i) for i, status in enumerate(result.status) if status == 200
            )

        def open_loop(name: str) -> None:
            first, batch = offset, bodies(count)
            cpu = Cpu(self.cpu_groups).begin()
            result = loadgen.open_loop(port, batch.__getitem__, count, ACK_RATE, ACK_GRACE)
            used = cpu.end()
            note(result, first)
            self.report["phases"][name] = result.summary() | {
                "offered_per_second": ACK_RATE,
                "generator_lag_max_ms": round(result.lag_max * 1000, 1),
                "cpu_percent": used,
            }
            self.settle()

        open_loop("ack_with_worker")
        for worker in self.workers:
            stop(worker, timeout=60)
        open_loop("ack_web_alone")
        first, batch = offset, bodies(2 * ACK_RATE * MAX_SECONDS)
        cpu = Cpu(self.cpu_groups).begin()
        result = loadgen.closed_loop(port, batch.__getitem__, len(batch), CONCURRENCY, MAX_SECONDS)
        used = cpu.end()
        note(result, first)
        self.report["phases"]["ack_max"] = result.summary() | {"cpu_percent": used}
        self.report["web_memory"] = memory(family(self.web))
        self.settle()
        self.check_stored(acknowledged)

    def check_stored(self, wamids: list[str]) -> None:
        """Every update the webhook answered 200 is in the database: the webhook keeps the
        body, a worker's drain makes it a message (done here, for what the phases with
        the worker stopped left waiting)."""
        from django.db import connection

        from antrean.whatsapp import ingest
        from antrean.whatsapp.models import InboundMessage

        ingest.drain()
        stored = sum(
            InboundMessage.objects.filter(wamid__in=wamids[i : i + 500]).count()
            for i in range(0, len(wamids), 500)
        )
        connection.close()
        self.report["checks"]["acknowledged_stored"] = f"{stored}/{len(wamids)}"
        if stored != len(wamids):
            self.report["checks"]["problems"].append(
                f"{len(wamids) - stored} of {len(wamids)} acknowledged update(s) not stored"
            )

    def settle(self, timeout: float = 60) -> None:
        """Wait until the web has worked off what an overloaded phase left queued in it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = sum(cpu_seconds(family(self.web)).values())
            time.sleep(1)
            if sum(cpu_seconds(family(self.web)).values()) - before < 0.05:
                return


# --- the report ----------------------------------------------------------------------------
def commit() -> dict:
    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    status = git("status", "--porcelain", "--untracked-files=all", "antrean")
    changed = [line.split(None, 1)[1] for line in status.splitlines() if line.strip()]
    # The code measured is the commit plus these files changed under antrean/.
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted": changed}


def machine() -> dict:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "arch": platform.machine(),
        "cpu": model,
        "cpus": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def bare_rate(phases: dict) -> float:
    """The bare view's rate: the mean of its measures before and after the rest of the run
    (the machine's own speed drifts by a fifth within minutes)."""
    rates = [phases[name]["per_second"] for name in ("bare", "bare_after") if name in phases]
    return sum(rates) / len(rates)


def judge(report: dict) -> dict:
    phases = report["phases"]
    e2e, bare = phases["e2e"]["per_second"], bare_rate(phases)
    ratio = e2e / bare if bare else 0.0
    ack = phases["ack_web_alone"]
    shared = phases["ack_with_worker"]
    web_rss = max((row["rss_mb"] for row in report["web_memory"]), default=0.0)

    def met_ack(phase):
        return phase["ok"] == phase["requests"] and phase["p99_ms"] < TARGETS["ack_p99_ms"]

    report["ratio"] = round(ratio, 4)
    return {
        "e2e >= 0.10 x bare": {"value": round(ratio, 3), "met": ratio >= TARGETS["e2e_ratio"]},
        "ack p99 < 50 ms at 500/s (web alone)": {"value": ack["p99_ms"], "met": met_ack(ack)},
        "(reference: bare view p99 at the same rate)": {
            "value": phases["bare_open"]["p99_ms"],
            "met": met_ack(phases["bare_open"]),
        },
        "ack p99 < 50 ms at 500/s (worker beside)": {
            "value": shared["p99_ms"],
            "met": met_ack(shared),
        },
        "web RSS < 150 MB each": {"value": web_rss, "met": web_rss < TARGETS["web_rss_mb"]},
        "correct (checks)": {
            "value": len(report["checks"]["problems"]),
            "met": not report["checks"]["problems"],
        },
    }


def show(report: dict) -> None:
    phases, config = report["phases"], report["config"]
    print(
        f"\nend to end on {report['database']} ({report['machine']['cpus']} cpu), "
        + ", ".join(f"{k}={v}" for k, v in config.items())
    )
    print(
        f"{'phase':<16} {'requests':>8} {'ok':>6} {'unanswered':>10} {'per s':>6} {'p50 ms':>8} "
        f"{'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    )
    e2e = phases["e2e"]
    names = ("bare", "bare_after", "bare_open", "ack_with_worker", "ack_web_alone")
    rows = [(name, phases[name]) for name in names if name in phases]
    rows += [("ack_max", phases["ack_max"]), ("e2e (posting)", e2e["posting"])]
    for name, p in rows:
        print(
            f"{name:<16} {p['requests']:>8} {p['ok']:>6} {p['unanswered']:>10} "
            f"{p['per_second']:>6.0f} {p.get('p50_ms', 0):>8.1f} {p.get('p90_ms', 0):>8.1f} "
            f"{p.get('p99_ms', 0):>8.1f} {p.get('max_ms', 0):>8.1f}"
        )
    print(
        f"\nend to end: {e2e['answered']}/{e2e['applicants']} applicants answered in "
        f"{e2e['seconds']} s = {e2e['per_second']} per s ({e2e['replies_per_second']} replies/s); "
        f"reply after posting (s): {e2e['reply_seconds']}"
    )
    measures = [phases[n]["per_second"] for n in ("bare", "bare_after") if n in phases]
    print(
        f"bare Django: {bare_rate(phases):.1f} per s (before and after: "
        f"{' and '.join(str(m) for m in measures)}) -> ratio {report['ratio']:.3f}"
    )
    print("\nCPU, % of one core:")
    for name in ("bare", "bare_open", "e2e", "ack_with_worker", "ack_web_alone", "ack_max"):
        cpu = phases[name].get("cpu_percent", {})
        print(f"  {name:<20} " + ", ".join(f"{k} {v}" for k, v in cpu.items()))
    print(
        "\nweb memory: "
        + ", ".join(
            f"pid {m['pid']} {m['rss_mb']} MB (peak {m['peak_mb']})" for m in report["web_memory"]
        )
    )
    checks = report["checks"]
    print(
        f"\nchecks: {checks['bookings']} bookings {checks['statuses']}, "
        f"{checks['moved_to_a_later_day']} moved to a later day over {checks['days_used']} "
        f"days, fullest hour {checks['fullest_hour']}, fullest day {checks['fullest_day']}, "
        f"outbox {checks['outbox']}; acknowledged updates stored: "
        f"{checks.get('acknowledged_stored', '-')}"
    )
    for problem in checks["problems"]:
        print(f"  PROBLEM: {problem}")
    print("\ntargets:")
    for name, verdict in report["targets"].items():
        print(f"  {'met    ' if verdict['met'] else 'NOT MET'} {name}: {verdict['value']}")


def header(database: str) -> dict:
    """What every result starts with: when, which code, which database, which machine."""
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        **commit(),
        "database": database,
        "machine": machine(),
        "load_average_before": Path("/proc/loadavg").read_text().split()[:3],
    }


def layout(env: dict) -> dict:
    """The processes a benchmark ran, for its result's config."""
    return {
        "web_workers": WEB_WORKERS,
        "web_threads": WEB_THREADS,
        "worker_processes": WORKERS,
        "worker_threads": WORKER_THREADS,
        "worker_nice": int(os.environ.get("WORKER_NICE", str(WORKER_NICE))),
        "whatsapp_throughput": THROUGHPUT,
        "queue": "redis" if env.get("REDIS_URL") else "sqlite",
    }


def commits(env: dict) -> str:
    """How durable the database's commits are: a run on a server that does not wait for
    its disk is not comparable with one that does (tools/postgres.py without --durable)."""
    url = env.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite synchronous={env.get('SQLITE_SYNCHRONOUS') or 'FULL'}"
    import psycopg

    with psycopg.connect(url) as connection:
        fsync, synchronous = (
            connection.execute(f"SHOW {name}").fetchone()[0]
            for name in ("fsync", "synchronous_commit")
        )
    return f"postgresql fsync={fsync} synchronous_commit={synchronous}"


def record(report: dict, name: str = "e2e") -> Path:
    """Write `report` under bench/results/, beside (never over) the day's earlier runs:
    DATE-NAME-DB.json, then DATE-NAME-DB-2.json and on."""
    stem = f"{datetime.date.today()}-{name}-{report['database']}"
    out = ROOT / "bench" / "results" / f"{stem}.json"
    runs = 1
    while out.exists():
        runs += 1
        out = out.with_name(f"{stem}-{runs}.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return out


def main() -> int:
    run = Run()
    report = run.report
    report.update(
        **header(run.vendor),
        config={
            "applicants": N,
            "per_day": PER_DAY,
            "ack_rate": ACK_RATE,
            "ack_seconds": ACK_SECONDS,
            "connections": CONCURRENCY,
            **layout(run.env),
            "commits": commits(run.env),
        },
    )
    print(f"end-to-end benchmark in {run.folder}", flush=True)
    try:
        run.setup()
        print(f"  installed in {report['setup_seconds']} s; bare reference...", flush=True)
        run.bare()
        print(f"  bare: {report['phases']['bare']['per_second']}/s; end to end...", flush=True)
        run.stack()
        run.end_to_end()
        print(f"  e2e: {report['phases']['e2e']['per_second']}/s; acknowledgement...", flush=True)
        run.ack()
        run.bare("bare_after", with_open=False)
        print(f"  bare again: {report['phases']['bare_after']['per_second']}/s", flush=True)
    finally:
        run.close()
    report["targets"] = judge(report)
    show(report)
    return conclude(run, report)


def wait_for_graph(
    port: int, done, *, each=None, every: float = 0.25, stall: float = STALL
) -> tuple[dict, bool]:
    """Poll the Graph stand-in's counts until `done(stats)`, calling `each(stats)` on every
    look; gives up after `stall` s without a new reply. The last counts, and whether done."""
    seen, last_change = -1, time.monotonic()
    while True:
        stats = graph_get(port, "stats")
        if each is not None:
            each(stats)
        if done(stats):
            return stats, True
        if stats["messages"] != seen:
            seen, last_change = stats["messages"], time.monotonic()
        elif time.monotonic() - last_change > stall:
            return stats, False
        time.sleep(every)


def conclude(run: Run, report: dict, name: str = "e2e", *, keep: bool = KEEP) -> int:
    """Record the report, remove the run's folder and database unless they are to be kept;
    the exit code (1 when a check failed)."""
    print(f"\nrecorded in {record(report, name).relative_to(ROOT)}")
    if keep:
        print(f"logs and data kept in {run.folder}")
    else:
        import shutil

        shutil.rmtree(run.folder, ignore_errors=True)
        run.drop_database()
    return 1 if report["checks"]["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
