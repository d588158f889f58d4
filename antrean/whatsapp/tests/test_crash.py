"""Real web and worker processes, killed at the worst moments: nothing acknowledged is
lost, nothing is processed or sent twice.

The web server (`antrean serve`) and workers (`antrean worker`) run as separate processes
on their own database; a local HTTP server plays the Graph API and, like Meta, reports
accepted messages back to our webhook with signed `sent` statuses.
"""

import os
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from antrean.ops.tests.processes import (
    JAKARTA_PUSAT,
    a_bookable_day,
    bookings,
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
from antrean.whatsapp.tests.graph_server import Failure, GraphServer

pytestmark = pytest.mark.slow

SECRET = "crash-test-secret"
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


class Stack:
    def __init__(self, folder: Path, graph: GraphServer):
        self.folder, self.port = folder, free_port()
        self.env = graph_environment(
            folder / "data",
            self.port,
            graph,
            SECRET,
            WHATSAPP_VERIFY_TOKEN="crash-test-verify",
            WHATSAPP_SEND_LEASE=str(LEASE),
            WHATSAPP_TIMEOUT="20",
        )
        prepare(self.env)
        self.processes = []
        self.webhook = f"http://127.0.0.1:{self.port}/webhooks/whatsapp"
        graph.webhook = (self.webhook, SECRET)

    def start(self, command: str):
        log = self.folder / f"{command}-{len(self.processes)}.log"
        process = start([command], self.env, log)
        self.processes.append(process)
        if command == "serve":
            wait_for(f"http://127.0.0.1:{self.port}/healthz")
        return process

    def post(self, body: bytes) -> int:
        request = urllib.request.Request(
            self.webhook,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, SECRET)},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status

    def bookings(self, phone: str) -> list[dict]:
        return bookings(self.env, phone)

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                try:
                    stop(process, timeout=10)
                except Exception:
                    process.kill()


@pytest.fixture
def graph():
    server = GraphServer().start()
    yield server
    server.stop()


@pytest.fixture
def stack(tmp_path, graph):
    running = Stack(tmp_path, graph)
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
    stack.start("serve")
    assert stack.post(law_message(phone)) == 200
    worker = stack.start("worker")
    wait_until(lambda: len(graph.accepted) >= 1, what="the first reply to reach Meta")
    kill(worker)
    stack.start("worker")
    wait_until(lambda: len(kinds_sent_to(graph, phone)) >= 2, what="the second reply")
    settle()
    assert kinds_sent_to(graph, phone) == ["image", "interactive"]
    assert len(stack.bookings(phone)) == 1


def test_worker_killed_before_meta_got_a_reply_sends_it_once_after_restart(stack, graph):
    phone = "6281234560002"
    graph.fail_next(Failure(hang=60).on("/messages"))  # never reaches Meta
    stack.start("serve")
    assert stack.post(law_message(phone)) == 200
    worker = stack.start("worker")
    wait_until(
        lambda: any(r["path"].endswith("/messages") for r in graph.requests),
        what="the worker to start sending",
    )
    kill(worker)
    assert graph.accepted == []
    stack.start("worker")
    wait_until(lambda: len(kinds_sent_to(graph, phone)) >= 2, what="both replies")
    settle()
    assert kinds_sent_to(graph, phone) == ["image", "interactive"]


def test_web_killed_after_acknowledging_loses_nothing_even_without_its_task(stack, graph):
    phone = "6281234560003"
    web = stack.start("serve")
    assert stack.post(law_message(phone)) == 200
    kill(web)
    for queue in (stack.folder / "data").glob("huey.sqlite3*"):
        os.remove(queue)  # the task that would have processed it is gone too
    stack.start("serve")
    stack.start("worker")
    wait_until(lambda: len(kinds_sent_to(graph, phone)) >= 2, what="both replies")
    settle()
    assert kinds_sent_to(graph, phone) == ["image", "interactive"]
    assert [b["status"] for b in stack.bookings(phone)] == ["pending"]


def test_the_same_update_delivered_eight_times_at_once_has_one_effect(stack, graph):
    phone = "6281234560004"
    stack.start("serve")
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
    stack.start("worker")
    wait_until(lambda: len(kinds_sent_to(graph, phone)) >= 2, what="both replies")
    settle()
    assert kinds_sent_to(graph, phone) == ["image", "interactive"]
    assert len(stack.bookings(phone)) == 1


def test_a_worker_killed_in_the_middle_of_traffic(stack, graph):
    phones = [f"62812345{6100 + n:05d}" for n in range(20)]
    stack.start("serve")
    for phone in phones:
        assert stack.post(law_message(phone)) == 200
    worker = stack.start("worker")
    wait_until(lambda: len(graph.accepted) >= 3, what="traffic to flow")
    kill(worker)
    stack.start("worker")
    wait_until(lambda: len(graph.accepted) >= 40, timeout=120, what="every reply")
    settle()
    for phone in phones:
        assert kinds_sent_to(graph, phone) == ["image", "interactive"], phone
        assert len(stack.bookings(phone)) == 1
