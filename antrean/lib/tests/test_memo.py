"""Reference data kept for a few seconds: changes made here are seen at once, changes made
by another process within REFERENCE_CACHE_SECONDS."""

import datetime

import pytest

from antrean.lib import memo
from antrean.offices.models import Closure, OfficeText, ServiceType
from antrean.offices.queries import office_texts, service_type
from antrean.offices.schedules import schedule_for

from conftest import NOW


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_value_is_loaded_once_per_period(monkeypatch, settings):
    settings.REFERENCE_CACHE_SECONDS = 5
    clock = Clock()
    monkeypatch.setattr(memo.time, "monotonic", clock)
    loads = []

    def load():
        loads.append(clock.now)
        return len(loads)

    assert memo.remembered("k", load) == 1
    clock.now += 4.9
    assert memo.remembered("k", load) == 1
    clock.now += 0.2
    assert memo.remembered("k", load) == 2
    assert memo.remembered("other", load) == 3


def test_nothing_is_kept_when_the_period_is_zero(settings):
    settings.REFERENCE_CACHE_SECONDS = 0
    values = iter(range(10))
    assert memo.remembered("k", lambda: next(values)) == 0
    assert memo.remembered("k", lambda: next(values)) == 1


def test_a_load_that_raced_a_change_is_not_kept(settings):
    settings.REFERENCE_CACHE_SECONDS = 60

    def load_while_someone_changes():
        memo.forget_all()  # a save elsewhere in this process, during the load
        return "old"

    assert memo.remembered("k", load_while_someone_changes) == "old"
    assert memo.remembered("k", lambda: "new") == "new"


def test_a_closure_added_in_this_process_is_seen_by_the_next_message(office, settings):
    settings.REFERENCE_CACHE_SECONDS = 60
    day = datetime.date(2027, 8, 12)
    assert day not in schedule_for(office, NOW).closures
    closure = Closure.objects.create(office=office, day=day, name_id="Rapat kerja")
    assert schedule_for(office, NOW).closures[day].name_id == "Rapat kerja"
    closure.delete()
    assert day not in schedule_for(office, NOW).closures


def test_another_process_change_is_seen_after_the_period(office, settings, monkeypatch):
    settings.REFERENCE_CACHE_SECONDS = 5
    clock = Clock()
    monkeypatch.setattr(memo.time, "monotonic", clock)
    assert office_texts(office) == {}
    # As another process would: no signal reaches this one.
    OfficeText.objects.bulk_create([OfficeText(office=office, key="info.hours", text_id="Buka")])
    assert office_texts(office) == {}
    clock.now += 6
    assert office_texts(office) == {"info.hours": {"id": "Buka"}}


def test_service_types_by_code(services):
    assert service_type("baru") == services["baru"]
    with pytest.raises(ServiceType.DoesNotExist):
        service_type("nope")
