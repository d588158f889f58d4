"""Faults in the middle of traffic, with real processes: the Graph API failing a third of
its calls, the web process and the worker killed, SQLite locked past the busy timeout,
PostgreSQL restarted, Redis gone, frozen, or its connections gone silent. Each time,
applicants keep writing (signed webhook posts, delivered again like Meta until answered
200), and afterwards:

- every update acknowledged with 200 was ingested once and processed once, with its one
  effect (one booking per applicant); nothing acknowledged is missing;
- every reply written to the outbox reached the Graph API exactly once (counted by our
  row id, which Meta echoes), and its status webhook was applied;
- the webhook never answered 500: it stored and said 200, or refused with 503;
- the worker lived through the fault and finished the work once it was over.

Short here (`make test`); `make chaos` sets CHAOS_SECONDS and CHAOS_APPLICANTS to run the
same scenarios for minutes, with the fault repeated throughout (antrean/ops/tests/faults.py).

Which pass runs what: the kills run on both databases; the locked file on SQLite; the
restart in the PostgreSQL pass, on a cluster of its own (antrean/ops/tests/postgres_server.py)
that it may stop without harming the suite's. To keep `make test` short, the Graph API
scenario runs in the SQLite pass only and the Redis ones in the PostgreSQL pass only (Redis
is for deployments on several machines, which need PostgreSQL); `make chaos` runs both of
them on both databases. The scenarios that lose queued nudges (locked file, restart, Redis)
last about a minute: what they lost comes back with the worker's once-a-minute sweep.
"""

import os
import random
import signal
import sqlite3
import time
from contextlib import ExitStack

import pytest

from antrean.ops.tests.faults import (
    APPLICANTS,
    CHAOS,
    SECONDS,
    TIMEOUT,
    Installation,
    Stack,
    Traffic,
    applicants,
    assert_exactly_once,
    join,
    repeatedly,
    settle,
    sqlite_files,
)
from antrean.ops.tests.postgres_server import PostgresServer
from antrean.ops.tests.silent_proxy import SilentProxy
from antrean.whatsapp.tests.graph_server import GraphServer, random_failures

pytestmark = pytest.mark.slow

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
# A fixed seed keeps `make test` reproducible; `make chaos` draws one (shown on failure).
SEED = int(os.environ.get("CHAOS_SEED") or (random.randrange(1 << 30) if CHAOS else 2027))
EVERY = 25.0  # seconds between two faults when the traffic lasts long enough (make chaos)


@pytest.fixture(autouse=True)
def _seed():
    print(f"CHAOS_SEED={SEED} CHAOS_SECONDS={SECONDS:g} CHAOS_APPLICANTS={APPLICANTS}")


@pytest.fixture
def graph():
    server = GraphServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    return Installation(tmp_path_factory.mktemp("installation"))


@pytest.fixture
def stacks(tmp_path, graph, installation):
    made = []

    def make(**extra) -> Stack:
        stack = Stack(tmp_path / f"stack-{len(made)}", graph, installation, **extra)
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.close()


def answered_during(traffic: Traffic, windows: list[tuple[float, float]]) -> list:
    """The answers to posts that ended while a fault lasted (times from the traffic's start)."""
    return [
        status
        for when, _, status in traffic.answers
        if any(began <= when <= ended for began, ended in windows)
    ]


def still_running(stack: Stack) -> None:
    assert stack.web.poll() is None, f"the web process died\n{stack.tails()}"
    assert stack.worker.poll() is None, f"the worker died\n{stack.tails()}"


@pytest.mark.skipif(ON_POSTGRES and not CHAOS, reason="the SQLite pass; make chaos runs both")
def test_graph_api_failing_a_third_of_its_calls_delivers_every_reply_once(stacks, graph):
    stack = stacks()
    stack.start_worker()
    stack.start_web()
    # 5xx and 429 with Meta's error bodies, its rate-limit codes, and calls hanging past our
    # timeout - some after Meta took the message, whose answer is then lost.
    graph.fail_randomly(0.3, hang=TIMEOUT + 1.5, seed=SEED)
    traffic = Traffic(stack, applicants(), SECONDS).start()
    time.sleep(SECONDS + 2)
    graph.recover()
    final = settle(stack, traffic, graph)
    assert traffic.statuses() == {200: APPLICANTS}
    assert_exactly_once(final, traffic, graph)
    assert set(graph.injected) == set(random_failures(0)), f"seed {SEED}: {graph.injected}"
    still_running(stack)


def test_web_and_worker_killed_in_the_middle_of_traffic(stacks, graph):
    stack = stacks()
    graph.latency = 0.2  # Meta has taken the message and not yet answered: a kill's window
    stack.start_worker()
    stack.start_web()
    traffic = Traffic(stack, applicants(), SECONDS)
    chance = random.Random(SEED)
    kills = []

    def kill_both() -> None:
        # At the worst moments: the worker while Meta is taking one of its sends, the web
        # process while deliveries are being posted to it.
        deadline = time.monotonic() + 10
        while not graph.answering and time.monotonic() < deadline:
            time.sleep(0.005)
        stack.kill_worker()
        time.sleep(chance.uniform(0, 1))
        while not traffic.in_flight and time.monotonic() < deadline:
            time.sleep(0.001)
        stack.kill_web()
        kills.append(time.monotonic() - traffic.started)
        time.sleep(chance.uniform(0.5, 2))  # Meta's deliveries meet a closed port
        stack.start_worker()
        stack.start_web()

    traffic.start()
    join(repeatedly(EVERY, SECONDS * 0.4, kill_both))
    final = settle(stack, traffic, graph)
    # No answer while the web was down (or cut off by the kill); never a refusal or an error.
    assert set(traffic.statuses()) <= {200, None}, traffic.statuses()
    assert kills
    assert_exactly_once(final, traffic, graph)
    still_running(stack)


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's file lock: the SQLite pass")
def test_sqlite_locked_past_the_busy_timeout_refuses_and_loses_nothing(stacks, graph):
    # One second of busy timeout, and a writer outside holding the file for several.
    stack = stacks(SQLITE_BUSY_TIMEOUT="1")
    # Meta slow to answer keeps the worker sending (and writing what it sent) through the
    # lock: a worker that has caught up with the traffic would never meet it.
    graph.latency = 0.25
    stack.start_worker()
    stack.start_web()
    traffic = Traffic(stack, applicants(), SECONDS)
    chance = random.Random(SEED)
    windows = []

    def hold_the_lock() -> None:
        # Every database file (the webhook's too, where it has one of its own) held with
        # the write lock, as a long transaction or a backup would hold it.
        with ExitStack() as held:
            for path in sqlite_files(stack.records.data):
                connection = sqlite3.connect(path, timeout=60, isolation_level=None)
                held.callback(connection.close)
                connection.execute("BEGIN IMMEDIATE")
                held.callback(connection.execute, "ROLLBACK")
            began = time.monotonic() - traffic.started
            time.sleep(chance.uniform(3, 6))
            ended = time.monotonic() - traffic.started
        windows.append((began + 1.5, ended))  # answers from 1.5 s in: past the busy timeout

    traffic.start()
    join(repeatedly(EVERY, SECONDS * 0.3, hold_the_lock))
    final = settle(stack, traffic, graph)
    assert set(traffic.statuses()) <= {200, 503}, traffic.statuses()
    # Refused while the file was locked (a post that began before the lock may end in it).
    assert 503 in answered_during(traffic, windows), traffic.answers
    assert_exactly_once(final, traffic, graph)
    still_running(stack)
    assert "database is locked" in stack.log("worker"), "the lock never reached the worker"


@pytest.fixture
def own_postgres():
    """A cluster of the test's own, stopped and removed after the processes using it."""
    server = PostgresServer()
    try:
        yield server.create()
    finally:
        server.remove()


@pytest.mark.skipif(
    not ON_POSTGRES, reason="the PostgreSQL pass (python tools/postgres.py -- pytest ...)"
)
def test_postgresql_restarted_in_the_middle_of_traffic(own_postgres, stacks, graph):
    server = own_postgres
    stack = stacks(copy={"into": server.url, "bindir": server.bindir})
    stack.start_worker()
    stack.start_web()
    traffic = Traffic(stack, applicants(), SECONDS)
    modes = iter(["immediate", "fast"] * 100)  # a crash, then an operator's restart
    windows = []

    def restart() -> None:
        server.stop(next(modes))
        began = time.monotonic() - traffic.started
        time.sleep(3)
        ended = time.monotonic() - traffic.started
        server.start()
        windows.append((began, ended))

    traffic.start()
    join(repeatedly(EVERY, SECONDS * 0.3, restart))
    final = settle(stack, traffic, graph)
    assert set(traffic.statuses()) <= {200, 503}, traffic.statuses()
    assert 503 in answered_during(traffic, windows), traffic.answers
    assert_exactly_once(final, traffic, graph)
    still_running(stack)


def redis_fault(redis, stacks, graph, stop, resume, *, url: str = ""):
    """Traffic through a stack on `redis` (or `url`), with `stop()`, three seconds,
    `resume()` as the fault; (stack, traffic, the fault's windows, the settled records) to
    check."""
    stack = stacks(REDIS_URL=url or redis.url)
    stack.start_worker()
    stack.start_web()
    traffic = Traffic(stack, applicants(), SECONDS)
    windows = []

    def fault() -> None:
        stop()
        began = time.monotonic() - traffic.started
        time.sleep(3)
        ended = time.monotonic() - traffic.started
        resume()
        windows.append((began, ended))

    traffic.start()
    join(repeatedly(EVERY, SECONDS * 0.3, fault))
    return stack, traffic, windows, settle(stack, traffic, graph)


@pytest.mark.skipif(not ON_POSTGRES and not CHAOS, reason="the PostgreSQL pass; make chaos: both")
def test_redis_gone_in_the_middle_of_traffic(redis_server, stacks, graph):
    redis = redis_server

    def kill() -> None:
        redis.process.send_signal(signal.SIGKILL)  # the nudges it held are lost with it
        redis.process.wait()

    # Started again on the same port, empty.
    stack, traffic, windows, final = redis_fault(redis, stacks, graph, kill, redis.start)
    # The delivery is stored before the nudge: a queue that is down costs the nudge (the
    # sweep's to find again), not the update.
    assert set(traffic.statuses()) <= {200, 503}, traffic.statuses()
    assert answered_during(traffic, windows), "no delivery came while Redis was down"
    assert "nudge not queued" in stack.log("serve"), "no nudge was lost"
    assert_exactly_once(final, traffic, graph)
    still_running(stack)


@pytest.mark.skipif(not ON_POSTGRES and not CHAOS, reason="the PostgreSQL pass; make chaos: both")
def test_redis_frozen_in_the_middle_of_traffic(redis_server, stacks, graph):
    """Redis stopped without closing a connection (SIGSTOP: a hung server, a network that
    drops packets): the webhook keeps acknowledging, and once Redis answers again the work
    goes on. Before the nudge had a thread of its own, every webhook waited for it."""
    redis = redis_server
    stack, traffic, windows, final = redis_fault(
        redis,
        stacks,
        graph,
        lambda: redis.process.send_signal(signal.SIGSTOP),
        lambda: redis.process.send_signal(signal.SIGCONT),
    )
    assert set(traffic.statuses()) == {200}, traffic.statuses()
    assert 200 in answered_during(traffic, windows), "no webhook answered while Redis hung"
    assert_exactly_once(final, traffic, graph)
    still_running(stack)


@pytest.mark.skipif(not ON_POSTGRES and not CHAOS, reason="the PostgreSQL pass; make chaos: both")
def test_redis_connections_gone_silent_in_the_middle_of_traffic(redis_server, stacks, graph):
    """Every open connection to Redis goes silent for good (a failover, a forgotten NAT
    entry: no answer and no close) while Redis itself stays well. redis-py waits on a
    socket without limit unless told otherwise: before the queue's connections had a
    timeout, each worker thread waited forever on its connection, and nothing more was
    processed. Now each gives up on its connection and opens another."""
    proxy = SilentProxy(redis_server.port).start()
    silenced = []
    try:
        stack, traffic, windows, final = redis_fault(
            redis_server,
            stacks,
            graph,
            lambda: silenced.append(proxy.silence()),
            lambda: None,
            url=proxy.redis_url,
        )
    finally:
        proxy.stop()
    assert silenced and silenced[0] > 0, "no connection was open to silence"
    assert "Timeout reading from" in stack.log("worker"), "no connection was given up"
    assert set(traffic.statuses()) == {200}, traffic.statuses()
    assert 200 in answered_during(traffic, windows), "no webhook answered meanwhile"
    assert_exactly_once(final, traffic, graph)
    still_running(stack)
