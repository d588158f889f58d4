"""Real web and worker processes, killed at the worst moments: nothing acknowledged is
lost, nothing is processed or sent twice.

The web server (`antrean serve`) and workers (`antrean worker`) run as separate processes
on their own database; a local HTTP server plays the Graph API and, like Meta, reports
accepted messages back to our webhook with signed `sent` statuses.
"""

import os
import threading
import time

import pytest

from antrean.ops.tests.faults import Stack
from antrean.ops.tests.processes import (
    JAKARTA_PUSAT,
    a_bookable_day,
    bookings,
    kill_tree,
)
from antrean.simulator import cloud
from antrean.whatsapp.tests.graph_server import Failure, GraphServer

pytestmark = pytest.mark.slow

LEASE = 3  # seconds: how long a dead worker's claim on a chat lasts


def law_message(phone: str, wamid: str | None = None) -> bytes:
    text = f"#Budi Santoso#25011987#{a_bookable_day():%d%m%Y}"
    message = cloud.inbound_message(wa_id=phone, kind="text", text=text, wamid=wamid)
    return cloud.dumps(cloud.message_envelope(JAKARTA_PUSAT, "6281299004406", message, "Budi"))


def wait_until(condition, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def graph():
    server = GraphServer().start()
    yield server
    server.stop()


@pytest.fixture
def stack(tmp_path, graph):
    # The fault tests' stack, with a short lease and a Graph API call that outlasts it.
    running = Stack(tmp_path, graph, WHATSAPP_SEND_LEASE=str(LEASE), WHATSAPP_TIMEOUT="20")
    yield running
    running.close()


def kill(process) -> None:
    kill_tree(process)  # SIGKILL, granian's workers too: no cleanup, like a power cut


def kinds_sent_to(graph, phone: str) -> list[str]:
    return [r["json"]["type"] for r in graph.accepted if r["json"]["to"] == phone]


def settle() -> None:
    """Long enough for a wrongful resend after a lease to have happened."""
    time.sleep(LEASE + 2)


def test_worker_killed_while_meta_takes_a_reply_sends_nothing_twice(stack, graph):
    phone = "6281234560001"
    graph.fail_next(Failure(hang=60, accept=True).on("/messages"))  # accepted, never answered
    stack.start_web()
    assert stack.post(law_message(phone)) == 200
    worker = stack.start_worker()
    wait_until(lambda: len(graph.accepted) >= 1, what="the first reply to reach Meta")
    kill(worker)
    stack.start_worker()
    wait_until(lambda: len(kinds_sent_to(graph, phone)) >= 2, what="the second reply")
    settle()
    assert kinds_sent_to(graph, phone) == ["image", "interactive"]
    assert len(bookings(stack.env, phone)) == 1


def test_worker_killed_before_meta_got_a_reply_sends_it_once_after_restart(stack, graph):
    phone = "6281234560002"
    graph.fail_next(Failure(hang=60).on("/messages"))  # never reaches Meta
    stack.start_web()
    assert stack.post(law_message(phone)) == 200
    worker = stack.start_worker()
    wait_until(
        lambda: any(r["path"].endswith("/messages") for r in graph.requests),
        what="the worker to start sending",
    )
    kill(worker)
    assert graph.accepted == []
    stack.start_worker()
    wait_until(lambda: len(kinds_sent_to(graph, phone)) >= 2, what="both replies")
    settle()
    assert kinds_sent_to(graph, phone) == ["image", "interactive"]


def test_web_killed_after_acknowledging_loses_nothing_even_without_its_task(stack, graph):
    phone = "6281234560003"
    web = stack.start_web()
    assert stack.post(law_message(phone)) == 200
    kill(web)
    for queue in (stack.folder / "data").glob("huey.sqlite3*"):
        os.remove(queue)  # the task that would have processed it is gone too
    stack.start_web()
    stack.start_worker()
    wait_until(lambda: len(kinds_sent_to(graph, phone)) >= 2, what="both replies")
    settle()
    assert kinds_sent_to(graph, phone) == ["image", "interactive"]
    assert [b["status"] for b in bookings(stack.env, phone)] == ["pending"]


def test_the_same_update_delivered_eight_times_at_once_has_one_effect(stack, graph):
    phone = "6281234560004"
    stack.start_web()
    body = law_message(phone, wamid="wamid.SAME-UPDATE")
    barrier, statuses = threading.Barrier(8), []

    def deliver():
        barrier.wait()
        statuses.append(stack.post(body))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 8
    stack.start_worker()
    wait_until(lambda: len(kinds_sent_to(graph, phone)) >= 2, what="both replies")
    settle()
    assert kinds_sent_to(graph, phone) == ["image", "interactive"]
    assert len(bookings(stack.env, phone)) == 1


def test_a_worker_killed_in_the_middle_of_traffic(stack, graph):
    phones = [f"62812345{6100 + n:05d}" for n in range(20)]
    stack.start_web()
    for phone in phones:
        assert stack.post(law_message(phone)) == 200
    worker = stack.start_worker()
    wait_until(lambda: len(graph.accepted) >= 3, what="traffic to flow")
    kill(worker)
    stack.start_worker()
    wait_until(lambda: len(graph.accepted) >= 40, timeout=120, what="every reply")
    settle()
    for phone in phones:
        assert kinds_sent_to(graph, phone) == ["image", "interactive"], phone
        assert len(bookings(stack.env, phone)) == 1
