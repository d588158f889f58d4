"""The machinery of the fault tests (test_faults.py): a deployment of real processes, Meta's
deliveries with its retries, and the exactly-once accounting afterwards.

How long and how big is read from the environment, so that `make chaos` runs the same
scenarios for minutes with hundreds of applicants while `make test` keeps them short:

    CHAOS_SECONDS     how long the traffic (and the faults during it) lasts   (default 8)
    CHAOS_APPLICANTS  how many people book, one LAW message each              (default 24)
"""

import heapq
import http.client
import os
import shutil
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

from antrean.ops.tests.processes import (
    JAKARTA_PUSAT,
    a_bookable_day,
    environment,
    free_port,
    graph_environment,
    kill_tree,
    prepare,
    start,
    stop,
    wait_for,
)
from antrean.simulator import cloud
from antrean.whatsapp.signature import sign

CHAOS = bool(os.environ.get("CHAOS_SECONDS"))  # `make chaos`: every scenario, both databases
SECONDS = float(os.environ.get("CHAOS_SECONDS") or 8)
APPLICANTS = int(os.environ.get("CHAOS_APPLICANTS") or 24)
SECRET = "fault-test-app-secret"
LEASE = 6  # seconds a sender holds a chat: longer than one attempt (timeout 1.5 s, x2 for a QR)
TIMEOUT = 1.5  # seconds per Graph API call
# Waiting for everything to be done: Meta's retries, the 30 s wait after an ambiguous
# timeout, exponential backoff, and the sweep (every minute) for nudges lost with a queue.
SETTLE_TIMEOUT = 150 + SECONDS + APPLICANTS * 0.2
LIVE = {"pending", "confirmed", "checked_in"}
PER_DAY = 300  # applicants per visit day (the demo office takes 350 a day)


def bookable_days(count: int) -> list[date]:
    from antrean.offices.public_holidays import national_closures

    days, day = [], a_bookable_day()
    closed = national_closures(day.year) | national_closures(day.year + 1)
    while len(days) < count:
        if day.isoweekday() <= 5 and day not in closed:
            days.append(day)
        day += timedelta(days=1)
    return days


def applicants(count: int = APPLICANTS, group: int = 70) -> dict[str, bytes]:
    """Each applicant's phone and the one LAW booking they send (the same bytes each time
    Meta delivers it again)."""
    days = bookable_days(count // PER_DAY + 1)
    bodies = {}
    for n in range(count):
        phone = f"62812{group:02d}{n:06d}"
        text = f"#Budi Santoso#25011987#{days[n // PER_DAY]:%d%m%Y}"
        message = cloud.inbound_message(
            wa_id=phone, kind="text", text=text, wamid=f"wamid.FAULT{phone}"
        )
        envelope = cloud.message_envelope(JAKARTA_PUSAT, "6281299004406", message, "Budi")
        bodies[phone] = cloud.dumps(envelope)
    return bodies


def sqlite_files(data: Path) -> list[Path]:
    """An installation's SQLite databases (the main one, and any beside it such as the
    webhook's own), not the task queue's."""
    return [path for path in sorted(data.glob("*.sqlite3")) if path.name != "huey.sqlite3"]


class Installation:
    """A migrated and seeded installation, made once and copied for each stack: `migrate`
    and `seed-demo` take ~10 s on this machine, a copy a moment."""

    def __init__(self, folder: Path):
        self.data = folder / "data"
        self.env = environment(self.data)
        prepare(self.env)
        self.url = self.env.get("DATABASE_URL", "")
        for path in sqlite_files(self.data):  # everything into the main files, then copied
            with closing(sqlite3.connect(path)) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def copy(self, data: Path, *, into: str = "", bindir: Path | None = None) -> dict:
        """A copy in the data folder `data` - its database as a new one on the suite's
        server, or dumped into the empty PostgreSQL database `into` (with `bindir`'s
        pg_dump and psql); the environment that points at it."""
        data.mkdir(parents=True)
        shutil.copy2(self.data / "secret-key", data / "secret-key")  # the same field keys
        if into:
            assert self.url, "a dump needs the PostgreSQL pass"
            dump = subprocess.run(
                [bindir / "pg_dump", "--no-owner", "--no-privileges", "-d", self.url],
                check=True,
                capture_output=True,
            ).stdout
            subprocess.run(
                [bindir / "psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", into],
                input=dump,
                check=True,
                capture_output=True,
            )
            return {"DATABASE_URL": into}
        if not self.url:
            for path in sqlite_files(self.data):
                shutil.copy2(path, data / path.name)
            return {}
        import psycopg

        server, template = self.url.rsplit("/", 1)
        name = f"e2e_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True, dbname="postgres") as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return {"DATABASE_URL": f"{server}/{name}"}


class Stack:
    """One web process and one worker on their own database, replying to `graph`; a copy
    of `installation`, or migrated and seeded here without one. `extra` settings (the
    environment's) override the fault tests' own."""

    def __init__(self, folder: Path, graph, installation: Installation | None = None, **extra):
        self.folder, self.graph, self.port = folder, graph, free_port()
        if installation is not None:
            extra = {**installation.copy(folder / "data", **extra.pop("copy", {})), **extra}
        settings = {
            "WHATSAPP_VERIFY_TOKEN": "fault-test-verify",
            "WHATSAPP_SEND_LEASE": str(LEASE),
            "WHATSAPP_TIMEOUT": str(TIMEOUT),
            **extra,
        }
        self.env = graph_environment(folder / "data", self.port, graph, SECRET, **settings)
        if installation is None:
            prepare(self.env)
        self.webhook = f"http://127.0.0.1:{self.port}/webhooks/whatsapp"
        graph.webhook = (self.webhook, SECRET)
        self.web = self.worker = None
        self.logs: list[Path] = []
        self.records = Records(self.env)

    def _start(self, command: str):
        log = self.folder / f"{command}-{len(self.logs)}.log"
        self.logs.append(log)
        return start([command], self.env, log)

    def start_web(self) -> subprocess.Popen:
        self.web = self._start("serve")
        # The same port as before: Meta knows one URL. (A killed server's port is free again
        # at once; granian binds with SO_REUSEADDR.)
        wait_for(f"http://127.0.0.1:{self.port}/healthz", timeout=60)
        return self.web

    def start_worker(self) -> subprocess.Popen:
        self.worker = self._start("worker")
        return self.worker

    def kill_web(self) -> None:
        kill_tree(self.web)

    def kill_worker(self) -> None:
        kill_tree(self.worker)

    def post(self, body: bytes) -> int | None:
        """Deliver like Meta; the status, or None when no answer came."""
        request = urllib.request.Request(
            self.webhook,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, SECRET)},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except (urllib.error.URLError, OSError, http.client.HTTPException):
            return None

    def log(self, command: str) -> str:
        """Everything the `command` processes of this stack wrote, restarts included."""
        return "".join(
            log.read_text(errors="replace") for log in self.logs if log.name.startswith(command)
        )

    def tails(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}" for log in self.logs
        )

    def close(self) -> None:
        for process in (self.web, self.worker):
            if process is not None and process.poll() is None:
                try:
                    stop(process, timeout=15)
                except Exception:
                    kill_tree(process)


class Records:
    """Plain SQL on the deployment's database, from outside (a new connection each time, so
    that a restarted server or a locked file is only a failed look)."""

    def __init__(self, env: dict):
        self.url = env.get("DATABASE_URL", "")
        self.data = Path(env["ANTREAN_DATA_DIR"])
        self.path = self.data / "antrean.sqlite3"

    @property
    def postgres(self) -> bool:
        return self.url.startswith("postgres")

    def rows(self, sql: str, path: Path | None = None) -> list[tuple]:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as connection:
                return connection.execute(sql).fetchall()
        with closing(sqlite3.connect(path or self.path, timeout=60)) as connection:
            return connection.execute(sql).fetchall()

    def deliveries(self) -> int:
        """Webhook bodies stored and not yet ingested (on SQLite, in whichever file holds
        them)."""
        count = "SELECT count(*) FROM whatsapp_delivery"
        if self.postgres:
            return self.rows(count)[0][0]
        table = "SELECT 1 FROM sqlite_master WHERE name = 'whatsapp_delivery'"
        return sum(
            self.rows(count, path)[0][0]
            for path in sqlite_files(self.data)
            if self.rows(table, path)
        )

    def snapshot(self) -> dict:
        return {
            "deliveries": self.deliveries(),
            "inbound": self.rows(
                "SELECT i.id, i.wamid, i.state, c.wa_id FROM whatsapp_inboundmessage i "
                "JOIN whatsapp_contact c ON c.id = i.contact_id"
            ),
            "outbound": self.rows(
                "SELECT o.id, o.state, o.wa_status, o.caused_by_id, c.wa_id "
                "FROM whatsapp_outboundmessage o JOIN whatsapp_contact c ON c.id = o.contact_id"
            ),
            "bookings": self.rows("SELECT phone, status FROM booking_booking"),
        }


class Traffic:
    """Meta delivering each applicant's update, spread over `seconds`, from several
    connections at once, and delivering again whatever was not answered 200 (a refusal, a
    timeout, a connection that went nowhere) after `retry_after` seconds."""

    def __init__(self, stack: Stack, bodies: dict[str, bytes], seconds: float, *, threads=8):
        self.stack, self.bodies, self.threads = stack, bodies, threads
        self.retry_after = 1.0
        self.gap = seconds / max(1, len(bodies))
        self.answers: list[tuple[float, str, int | None]] = []  # (when, phone, status)
        self.acknowledged: Counter[str] = Counter()
        self._queue: list[tuple[float, int, str]] = []
        self._in_flight = 0
        self._cv = threading.Condition()
        self._workers: list[threading.Thread] = []

    def start(self) -> "Traffic":
        self.started = time.monotonic()
        self._queue = [(self.started + n * self.gap, n, p) for n, p in enumerate(self.bodies)]
        heapq.heapify(self._queue)
        self._workers = [
            threading.Thread(target=self._work, daemon=True) for _ in range(self.threads)
        ]
        for worker in self._workers:
            worker.start()
        return self

    def _work(self) -> None:
        while True:
            with self._cv:
                while True:
                    if not self._queue and not self._in_flight:
                        self._cv.notify_all()
                        return
                    now = time.monotonic()
                    if self._queue and self._queue[0][0] <= now:
                        _, n, phone = heapq.heappop(self._queue)
                        self._in_flight += 1
                        break
                    self._cv.wait(self._queue[0][0] - now if self._queue else 0.2)
            status = self.stack.post(self.bodies[phone])
            with self._cv:
                self._in_flight -= 1
                self.answers.append((time.monotonic() - self.started, phone, status))
                if status == 200:
                    self.acknowledged[phone] += 1
                else:
                    heapq.heappush(self._queue, (time.monotonic() + self.retry_after, n, phone))
                self._cv.notify_all()

    @property
    def in_flight(self) -> int:
        with self._cv:
            return self._in_flight

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        missing = set(self.bodies) - set(self.acknowledged)
        assert not missing, f"{len(missing)} updates never acknowledged; answers {self.statuses()}"

    def statuses(self) -> Counter:
        return Counter(status for _, _, status in self.answers)


def repeatedly(every: float, first: float, fault, *, until: float = SECONDS) -> threading.Thread:
    """Run `fault()` at `first` seconds from now and then every `every` seconds while the
    traffic lasts (once in a short run, many times in `make chaos`); the thread, to join."""
    errors: list[BaseException] = []

    def run():
        began = time.monotonic()
        at = first
        while True:
            time.sleep(max(0.0, began + at - time.monotonic()))
            try:
                fault()
            except BaseException as error:  # handed to the test by join()
                errors.append(error)
                return
            at += every
            if at >= until:
                return

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors
    thread.start()
    return thread


def join(thread: threading.Thread, timeout: float = SECONDS + 120) -> None:
    thread.join(timeout)
    assert not thread.is_alive(), "the fault did not finish"
    if thread.errors:
        raise thread.errors[0]


def settle(stack: Stack, traffic: Traffic, graph) -> dict:
    """Wait until every update is acknowledged, ingested and processed, every reply is sent
    and its status applied, and no call to the Graph API is under way; the final state, a
    moment later.

    Once every row is `sent` nothing sends it again, unless something turns it back (a
    failed call's outcome written over the status that settled it): the final look, after
    any call that was still failing, would find that row pending again."""
    traffic.wait(SETTLE_TIMEOUT)
    deadline = time.monotonic() + SETTLE_TIMEOUT
    now: dict = {}
    while True:
        try:
            now = stack.records.snapshot()
        except Exception as error:  # the database is being restarted: look again
            now = {"error": repr(error)}
        if "error" not in now and _done(now, graph, len(traffic.bodies)) and not graph.handling:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"not settled: {_summary(now, graph)}\n{stack.tails()}")
        time.sleep(0.5)
    time.sleep(TIMEOUT + 1)
    return stack.records.snapshot()


def _tags(graph) -> list[str]:
    with graph.lock:
        return [r["json"].get("biz_opaque_callback_data", "") for r in graph.accepted]


def _done(now: dict, graph, expected: int) -> bool:
    outbound = now["outbound"]
    return (
        now["deliveries"] == 0
        and len(now["inbound"]) >= expected
        and all(state != "received" for _, _, state, _ in now["inbound"])
        and len(outbound) > 0
        and all(state not in ("queued", "retry", "sending") for _, state, *_ in outbound)
        and all(wa_status for _, _, wa_status, *_ in outbound)
        and {f"out:{pk}" for pk, *_ in outbound} <= set(_tags(graph))
    )


def _summary(now: dict, graph) -> str:
    if "error" in now:
        return now["error"]
    return str(
        {
            "deliveries": now["deliveries"],
            "inbound": Counter(state for _, _, state, _ in now["inbound"]),
            "outbound": Counter((state, wa) for _, state, wa, *_ in now["outbound"]),
            "accepted": len(_tags(graph)),
        }
    )


def assert_exactly_once(final: dict, traffic: Traffic, graph) -> None:
    """Every acknowledged update processed once with its one effect; every reply written
    sent once, its status applied; nothing left behind."""
    phones = set(traffic.bodies)
    assert final["deliveries"] == 0, "a stored delivery was never ingested"

    inbound = final["inbound"]
    wamids = Counter(wamid for _, wamid, _, _ in inbound)
    assert set(wamids) == {f"wamid.FAULT{phone}" for phone in phones}, "an update lost or foreign"
    assert set(wamids.values()) == {1}
    assert Counter(state for _, _, state, _ in inbound) == {"processed": len(phones)}

    live = Counter(phone for phone, status in final["bookings"] if status in LIVE)
    assert Counter(phone for phone, _ in final["bookings"]) == live, "a booking not live"
    assert set(live) == phones and set(live.values()) == {1}, "one booking per applicant"

    outbound = final["outbound"]
    assert {state for _, state, *_ in outbound} == {"sent"}
    assert {wa_status for _, _, wa_status, *_ in outbound} == {"sent"}, "a status lost"
    assert {caused_by for *_, caused_by, _ in outbound} == {pk for pk, *_ in inbound}
    tags = Counter(_tags(graph))
    twice = sorted(tag for tag, count in tags.items() if count > 1)
    assert not twice, f"replies sent twice: {twice}"
    assert set(tags) == {f"out:{pk}" for pk, *_ in outbound}, "a reply lost, or one not ours"
    with graph.lock:
        kinds: dict[str, list[str]] = {}
        for record in graph.accepted:
            kinds.setdefault(record["json"]["to"], []).append(record["json"]["type"])
    for phone in phones:
        assert kinds.get(phone) == ["image", "interactive"], (phone, kinds.get(phone))
