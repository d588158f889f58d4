"""Scale-out: two web and two worker processes, each as if on its own machine (its own
data folder, nothing shared but PostgreSQL, Redis and the keys), under concurrent load.

A local HTTP server plays Meta's Graph API and reports every accepted message back to the
webhook, as Meta does. Applicants write from many threads to both web processes at once:
LAW bookings, Meta's duplicate deliveries racing each other on different web processes,
people writing to two numbers of one office at the same moment, and a crowd racing for a
small office's day. Booking codes issued before the workers start lapse while both
workers' schedulers run the lifecycle job at once. Afterwards: every update acknowledged
was processed exactly once, nobody holds two live bookings, no day or hour is over
capacity, every reply reached the Graph API once and in order, both web processes and
both workers did their share, through Redis.

It needs PostgreSQL (it runs in the suite's PostgreSQL pass: tools/postgres.py) and
redis-server (.ci/run installs it and sets ANTREAN_REQUIRE_REDIS=1, so it fails there
rather than skipping).
"""

import base64
import json
import os
import random
import re
import secrets
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from huey import PriorityRedisHuey

from antrean.ops.tests.processes import (
    ANTREAN,
    JAKARTA_PUSAT,
    a_bookable_day,
    environment,
    free_port,
    prepare,
    start,
    stop,
    wait_for,
)
from antrean.simulator import cloud
from antrean.whatsapp.signature import sign
from antrean.whatsapp.tests.graph_server import GraphServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="scale-out needs PostgreSQL: it runs in the suite's PostgreSQL pass "
        "(python tools/postgres.py -- pytest antrean/ops/tests/test_scaleout.py)",
    ),
]

SECRET = "scale-out-app-secret"
JAKARTA_PUSAT_SIGAP = "100000000000102"  # the office's second number (antrean/offices/demo.py)
BOGOR = "100000000000201"
BOGOR_DAILY, BOGOR_HOURLY = 10, 2  # shrunk, so that the racers fill the day and its hours

APPLICANTS = 150  # each books once at Jakarta Pusat
DUPLICATED = range(0, APPLICANTS, 4)  # ... and these are delivered twice, at once
REDELIVERED = 10  # ... and these once more after they were answered
TWINS = 10  # write to both Jakarta Pusat numbers at the same moment
RACERS = 30  # for one day at Bogor, which has room for 10
STALE = 20  # codes issued two hours ago, never confirmed: the lifecycle job lapses them
SETTLE_TIMEOUT = 120

NAMES = ["Budi Santoso", "Siti Aminah", "Agus Salim", "Dewi Lestari", "Rudi Hartono"]
LIVE = {"pending", "confirmed", "checked_in"}


def phones(group: int, count: int) -> list[str]:
    """Valid Indonesian mobile numbers as WhatsApp writes them, one block per group."""
    return [f"62812{group:02d}{n:06d}" for n in range(count)]


def law(phone: str, number: str, day: date, n: int) -> bytes:
    text = f"#{NAMES[n % len(NAMES)]}#{(n % 27) + 1:02d}0{(n % 9) + 1}1988#{day:%d%m%Y}"
    message = cloud.inbound_message(wa_id=phone, kind="text", text=text)
    return cloud.dumps(cloud.message_envelope(number, "6281299004406", message, "Pemohon"))


class Cluster:
    """The processes of a deployment, on the ports and folders of several machines."""

    def __init__(self, folder: Path, base: dict):
        self.folder, self.base = folder, base
        self.processes: dict[str, subprocess.Popen] = {}
        self.web_ports: list[int] = []

    def start(self, name: str, command: str, **extra) -> None:
        machine = self.folder / name
        env = dict(self.base, ANTREAN_DATA_DIR=str(machine / "data"), **extra)
        self.processes[name] = start([command], env, self.folder / f"{name}.log")

    def start_web(self, name: str) -> int:
        port = free_port()
        self.web_ports.append(port)
        # DEBUG: the webhook's line per stored delivery shows each web process took its share.
        self.start(name, "serve", PORT=str(port), WEB_WORKERS="1", LOG_LEVEL="DEBUG")
        return port

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> dict[str, int]:
        codes = {}
        for name, process in self.processes.items():
            if process.poll() is None:
                try:
                    codes[name] = stop(process, timeout=30)
                except subprocess.TimeoutExpired:
                    codes[name] = -9
            else:
                codes[name] = process.returncode
        return codes


def post(port: int, body: bytes) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/whatsapp",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, SECRET)},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def deliver_together(job: list[tuple[int, bytes]]) -> list[int]:
    """Post every (port, body) of the job at the same instant (Meta's parallel deliveries)."""
    if len(job) == 1:
        return [post(*job[0])]
    barrier = threading.Barrier(len(job))
    statuses = [0] * len(job)

    def one(i: int) -> None:
        barrier.wait()
        statuses[i] = post(*job[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(job))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


class Database:
    """Read-only looks at the shared database, straight through psycopg."""

    def __init__(self, url: str):
        import psycopg

        self.connection = psycopg.connect(url, autocommit=True)

    def rows(self, sql: str, *params) -> list[tuple]:
        return self.connection.execute(sql, params).fetchall()

    def one(self, sql: str, *params):
        return self.rows(sql, *params)[0][0]

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def graph():
    server = GraphServer().start()
    yield server
    server.stop()


def test_two_web_and_two_worker_processes_lose_nothing_overbook_nothing_repeat_nothing(
    tmp_path, redis_server, graph
):
    started = time.monotonic()
    day = a_bookable_day()
    base = environment(
        tmp_path / "migrate" / "data",
        REDIS_URL=redis_server.url,
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        FIELD_HASH_KEY=secrets.token_urlsafe(32),
        WHATSAPP_API_URL=graph.url,
        WHATSAPP_ACCESS_TOKEN=graph.token,
        WHATSAPP_APP_SECRET=SECRET,
        WHATSAPP_VERIFY_TOKEN="scale-out-verify",
        WHATSAPP_SIMULATOR="0",
        WHATSAPP_TIMEOUT="30",
        HUEY_LOG_LEVEL="INFO",  # each task a worker runs, and each periodic one it enqueues
    )
    # Once per deployment, before any process starts: migrate, seed, and the officers'
    # changes (a small office; codes that were issued and never confirmed).
    prepare(base)
    stale = phones(40, STALE)
    plan = {
        "shrink": {
            "code": "bogor",
            "daily_regular": BOGOR_DAILY,
            "capacity_per_hour": BOGOR_HOURLY,
        },
        "stale": {"office": "jakarta-pusat", "phones": stale, "visit_date": day.isoformat()},
    }
    setup = subprocess.run(
        [
            ANTREAN,
            "shell",
            "-c",
            "from antrean.ops.tests import scaleout_setup; "
            f"scaleout_setup.main({json.dumps(json.dumps(plan))})",
        ],
        env=base,
        capture_output=True,
        text=True,
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr

    cluster = Cluster(tmp_path, base)
    database = Database(base["DATABASE_URL"])
    try:
        web = [cluster.start_web("web-1"), cluster.start_web("web-2")]
        graph.webhook = (f"http://127.0.0.1:{web[1]}/webhooks/whatsapp", SECRET)
        cluster.start("worker-1", "worker")
        cluster.start("worker-2", "worker")
        for port in web:
            assert wait_for(f"http://127.0.0.1:{port}/healthz", timeout=60)[0] == 200

        # --- The load --------------------------------------------------------------------
        applicants = phones(10, APPLICANTS)
        twins = phones(20, TWINS)
        racers = phones(30, RACERS)
        jobs: list[list[tuple[int, bytes]]] = []
        bodies = []
        for n, phone in enumerate(applicants):
            body = law(phone, JAKARTA_PUSAT, day, n)
            bodies.append(body)
            if n in DUPLICATED:
                jobs.append([(web[0], body), (web[1], body)])  # the same wamid, twice at once
            else:
                jobs.append([(web[n % 2], body)])
        for n, phone in enumerate(twins):
            jobs.append(
                [
                    (web[0], law(phone, JAKARTA_PUSAT, day, n)),
                    (web[1], law(phone, JAKARTA_PUSAT_SIGAP, day, n)),
                ]
            )
        for n, phone in enumerate(racers):
            jobs.append([(web[n % 2], law(phone, BOGOR, day, n))])
        random.Random(2027).shuffle(jobs)
        load_started = time.monotonic()
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = [s for answer in pool.map(deliver_together, jobs) for s in answer]
        for n, body in enumerate(bodies[1 : 1 + REDELIVERED]):  # Meta, again, later
            statuses.append(post(web[n % 2], body))
        load_seconds = time.monotonic() - load_started
        posted = len(statuses)
        assert Counter(statuses) == {200: posted}, "every delivery is acknowledged"

        # --- Until everything is done ----------------------------------------------------
        messages = APPLICANTS + 2 * TWINS + RACERS

        def progress() -> dict:
            inbound = dict(
                database.rows("SELECT state, count(*) FROM whatsapp_inboundmessage GROUP BY state")
            )
            outbound = dict(
                database.rows("SELECT state, count(*) FROM whatsapp_outboundmessage GROUP BY state")
            )
            lapsed = database.one(
                "SELECT count(*) FROM booking_booking WHERE phone = ANY(%s) AND status = 'expired'",
                stale,
            )
            return {
                "inbound": inbound,
                "outbound": outbound,
                "lapsed": lapsed,
                "accepted": len(graph.accepted),
            }

        def done(now: dict) -> bool:
            outbound = now["outbound"]
            return (
                sum(now["inbound"].values()) == messages
                and not now["inbound"].get("received")
                and now["lapsed"] == STALE
                and not any(outbound.get(state) for state in ("queued", "retry", "sending"))
                and now["accepted"] == sum(outbound.values())
            )

        deadline = time.monotonic() + SETTLE_TIMEOUT
        while not done(now := progress()):
            if time.monotonic() > deadline or any(
                p.poll() is not None for p in cluster.processes.values()
            ):
                tails = "\n".join(
                    f"--- {name}\n{cluster.log(name)[-3000:]}" for name in cluster.processes
                )
                pytest.fail(f"not settled: {now}\n{tails}")
            time.sleep(0.5)
        settled_seconds = time.monotonic() - load_started

        # --- Every update acknowledged was processed exactly once ------------------------
        inbound = database.rows(
            "SELECT i.id, c.wa_id, n.phone_number_id, i.state FROM whatsapp_inboundmessage i "
            "JOIN whatsapp_contact c ON c.id = i.contact_id "
            "JOIN offices_whatsappnumber n ON n.id = c.number_id"
        )
        assert Counter(state for *_, state in inbound) == {"processed": messages}
        per_chat = Counter((phone, number) for _, phone, number, _ in inbound)
        assert set(per_chat.values()) == {1}, "each message stored once, duplicates or not"
        outbound = database.rows(
            "SELECT o.id, o.caused_by_id, o.state, o.contact_id FROM whatsapp_outboundmessage o "
            "ORDER BY o.id"
        )
        answered = {caused_by for _, caused_by, _, _ in outbound if caused_by}
        assert answered == {pk for pk, *_ in inbound}, "every message has its answer"

        # --- Every reply reached the Graph API once, in its chat's order -----------------
        assert {state for _, _, state, _ in outbound} == {"sent"}
        tags = [r["json"].get("biz_opaque_callback_data") for r in graph.accepted]
        assert len(tags) == len(set(tags)), "a reply went out twice"
        assert set(tags) == {f"out:{pk}" for pk, *_ in outbound}, "a reply was lost"
        chat_of = {f"out:{pk}": chat for pk, _, _, chat in outbound}
        sent_in_chat: dict[int, list[str]] = defaultdict(list)
        kinds: dict[str, list[str]] = defaultdict(list)
        for record in graph.accepted:  # in the order the Graph API accepted them
            tag = record["json"]["biz_opaque_callback_data"]
            sent_in_chat[chat_of[tag]].append(int(tag[4:]))
            kinds[record["json"]["to"]].append(record["json"]["type"])
        for chat, ids in sent_in_chat.items():
            assert ids == sorted(ids), f"chat {chat} got its replies out of order: {ids}"
        for phone in applicants + racers + twins:
            assert kinds[phone].count("image") == 1, (phone, kinds[phone])  # one booking's QR
        for phone in stale:
            assert kinds[phone] == ["template"], phone  # outside the 24 h: a template

        # --- Nobody holds two live bookings; whoever should hold one does ----------------
        live = Counter(
            phone
            for (phone,) in database.rows(
                "SELECT phone FROM booking_booking WHERE status = ANY(%s)", list(LIVE)
            )
        )
        assert set(live.values()) == {1}
        assert set(live) == set(applicants) | set(twins) | set(racers)
        booked = dict(
            database.rows(
                "SELECT b.phone, b.visit_date FROM booking_booking b "
                "JOIN offices_office o ON o.id = b.office_id "
                "WHERE b.status = ANY(%s) AND o.code = 'jakarta-pusat'",
                list(LIVE),
            )
        )
        assert all(booked[phone] == day for phone in applicants + twins)

        # --- No day and no hour over capacity, and the counters match the bookings -------
        over = database.rows("SELECT id FROM booking_dayload WHERE taken > capacity")
        over += database.rows("SELECT id FROM booking_slotload WHERE taken > capacity")
        assert over == []
        day_mismatch = database.rows(
            "SELECT d.office_id, d.day, d.quota, d.taken, count(b.id) FROM booking_dayload d "
            "LEFT JOIN booking_booking b ON b.office_id = d.office_id AND b.visit_date = d.day "
            "AND b.quota = d.quota AND b.status = ANY(%s) "
            "GROUP BY d.id HAVING d.taken <> coalesce(sum(b.applicants), 0)",
            list(LIVE),
        )
        assert day_mismatch == [], "a day's counter differs from its bookings"
        slot_mismatch = database.rows(
            "SELECT s.office_id, s.day, s.start, s.taken FROM booking_slotload s "
            "LEFT JOIN booking_booking b ON b.office_id = s.office_id AND b.visit_date = s.day "
            "AND (b.slot_at AT TIME ZONE 'Asia/Jakarta')::time = s.start "
            "AND b.status = ANY(%s) "
            "GROUP BY s.id HAVING s.taken <> coalesce(sum(b.applicants), 0)",
            list(LIVE),
        )
        assert slot_mismatch == [], "an hour's counter differs from its bookings"
        bogor = database.rows(
            "SELECT b.visit_date, count(*) FROM booking_booking b "
            "JOIN offices_office o ON o.id = b.office_id "
            "WHERE o.code = 'bogor' AND b.status = ANY(%s) GROUP BY b.visit_date",
            list(LIVE),
        )
        assert dict(bogor)[day] == BOGOR_DAILY, "the racers filled the asked day exactly"
        assert sum(count for _, count in bogor) == RACERS, "... and the others went on"

        # --- The periodic job ran in both workers; its effects happened once -------------
        lapses = database.rows(
            "SELECT e.booking_id, count(*) FROM booking_bookingevent e "
            "JOIN booking_booking b ON b.id = e.booking_id "
            "WHERE e.action = 'lapsed' AND b.phone = ANY(%s) GROUP BY e.booking_id",
            stale,
        )
        assert len(lapses) == STALE and {count for _, count in lapses} == {1}
        notices = database.one("SELECT count(*) FROM jobs_notice WHERE key = 'lapsed'")
        assert notices == STALE

        # --- Both web processes and both workers worked, through Redis -------------------
        huey = PriorityRedisHuey(settings.HUEY["name"], url=redis_server.url)
        deadline = time.monotonic() + 15  # the last nudges find nothing left to do
        while huey.pending_count() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert huey.pending_count() == 0, "a task left behind in the queue"
    finally:
        codes = cluster.stop_all()
        database.close()
    assert codes == dict.fromkeys(cluster.processes, 0), codes

    stored = {
        name: cluster.log(name).count("webhook: delivery stored") for name in ("web-1", "web-2")
    }
    assert all(stored.values()), f"each web process stored deliveries: {stored}"
    ingested = re.compile(r"ingest: \d+ deliveries: (\d+) stored, (\d+) duplicate")
    tallies = [
        tuple(map(int, m))
        for name in ("worker-1", "worker-2")
        for m in ingested.findall(cluster.log(name))
    ]
    assert sum(t[0] for t in tallies) == messages
    assert sum(t[1] for t in tallies) == len(DUPLICATED) + REDELIVERED

    executed = {}
    lifecycle = re.compile(r"lifecycle: (\d+) bookings changed, (\d+) messages queued")
    tally = [0, 0]
    for name in ("worker-1", "worker-2"):
        log = cluster.log(name)
        executed[name] = Counter(re.findall(r"Executing antrean\.\w+\.tasks\.(\w+)", log))
        assert "Enqueueing periodic task antrean.jobs.tasks.lifecycle_task" in log, name
        for changed, told in lifecycle.findall(log):
            tally[0] += int(changed)
            tally[1] += int(told)
    for name, tasks in executed.items():
        processed = tasks["process_contact_task"] + tasks["process_contacts_task"]
        delivered = tasks["deliver_task"] + tasks["deliver_contacts_task"]
        assert processed and delivered, (name, tasks)
    # Each scheduler enqueued the job; between them the stale codes lapsed and were told once.
    assert sum(tasks["lifecycle_task"] for tasks in executed.values()) >= 2
    assert tally == [STALE, STALE]
    # Every task the workers ran went through Redis: queued (by the web processes and the
    # workers) and taken. Not one per message: a task takes many chats (decisions §24).
    ran = sum(sum(tasks.values()) for tasks in executed.values())
    commands = redis_server.client().info("commandstats")
    assert commands["cmdstat_zadd"]["calls"] >= ran
    assert commands["cmdstat_bzpopmin"]["calls"] >= ran

    elapsed = time.monotonic() - started
    print(
        f"\nscale-out: {posted} deliveries in {load_seconds:.1f} s, all settled after "
        f"{settled_seconds:.1f} s, {len(graph.accepted)} replies; test {elapsed:.1f} s; "
        f"stored per web {stored}; tasks per worker "
        f"{ {name: dict(tasks) for name, tasks in executed.items()} }"
    )
