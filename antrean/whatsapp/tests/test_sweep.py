"""The once-a-minute sweep in a backlog: its catch-ups wait their turn in the queue, so a
chat whose nudge is still queued is not nudged again, and one whose nudge was lost is."""

from datetime import timedelta

import pytest
from huey.contrib.djhuey import HUEY

from antrean.whatsapp import inbound, tasks
from antrean.whatsapp.models import Contact, InboundMessage, OutboundMessage
from antrean.whatsapp.tests import payloads_for_tests as make

from conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW)
    return time_machine


@pytest.fixture
def queue():
    HUEY.flush()
    yield HUEY
    HUEY.flush()


def message_from(client, number, wa_id: str) -> Contact:
    payload = make.text(number.phone_number_id, wa_id, "#Budi#25011987#10082027")
    assert make.post(client, payload).status_code == 200
    return Contact.objects.get(number=number, wa_id=wa_id)


def run(queue) -> list[str]:
    """Run the queued tasks in the queue's order, as a worker would; their names.

    (On-commit nudges do not fire inside a test's transaction: the deliveries that
    processing queues are not among them.)
    """
    ran = []
    while (task := queue.dequeue()) is not None:
        ran.append(task.name)
        getattr(tasks, task.name).call_local(*task.args, **task.kwargs)
    return ran


def test_in_a_backlog_the_sweep_nudges_no_chat_again(client, secret, number, queue, clock):
    contacts = [message_from(client, number, f"62812000000{i}") for i in range(3)]
    queue.flush()
    for contact in contacts:  # their nudges, still waiting in a long queue
        tasks.process_contact_task(contact.pk)
    clock.shift(timedelta(seconds=30))  # stragglers by age, but not lost
    tasks.sweep_task.call_local()
    assert run(queue) == [
        "catch_up_delivery_task",  # nothing to deliver yet
        "process_contact_task",
        "process_contact_task",
        "process_contact_task",
        "catch_up_processing_task",  # after them: nothing is left waiting, nothing nudged
    ]
    assert not InboundMessage.objects.filter(state="received").exists()


def test_a_catch_up_nudges_the_chat_whose_nudge_was_lost(client, secret, number, queue, clock):
    kept, lost = (message_from(client, number, f"628120000000{i}") for i in (1, 2))
    queue.flush()
    tasks.process_contact_task(kept.pk)  # the other one was in a killed worker's hands
    clock.shift(timedelta(seconds=30))
    tasks.sweep_task.call_local()
    assert run(queue) == [
        "catch_up_delivery_task",
        "process_contact_task",
        "catch_up_processing_task",
        "process_contact_task",  # the lost one, found
    ]
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {"processed"}
    assert InboundMessage.objects.filter(contact=lost).get().state == "processed"


def test_a_fresh_message_is_left_to_its_own_nudge(client, secret, number, queue, clock):
    message_from(client, number, "6281200000001")
    queue.flush()  # its nudge lost, but it came in only 5 s ago: a nudge may be on its way
    clock.shift(timedelta(seconds=5))
    tasks.sweep_task.call_local()
    assert run(queue) == ["catch_up_delivery_task", "catch_up_processing_task"]
    assert InboundMessage.objects.get().state == "received"  # the next minute's catch-up


def test_a_delivery_catch_up_nudges_the_chat_whose_nudge_was_lost(
    client, secret, graph, number, queue, clock
):
    queued, lost = (message_from(client, number, f"628120000000{i}") for i in (1, 2))
    for contact in (queued, lost):
        inbound.process_contact(contact.pk)  # two replies each
    queue.flush()
    tasks.deliver_task(queued.pk)  # still queued; the other chat's was lost
    clock.shift(timedelta(seconds=30))
    tasks.sweep_task.call_local()
    assert run(queue) == [
        "deliver_task",
        "catch_up_delivery_task",  # after it: only the lost chat is nudged
        "deliver_task",
        "catch_up_processing_task",
    ]
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"sent"}
    sent_to = [body["to"] for body in graph.sent_bodies()]
    assert sent_to == [queued.wa_id] * 2 + [lost.wa_id] * 2  # each reply once, in turn
