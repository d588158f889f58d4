"""What a process loads at start is frozen out of the collector's full passes."""

import gc
import importlib
import sys

from antrean.lib import lifetime


def test_what_is_loaded_is_frozen_and_what_comes_after_is_not():
    loaded = [[n] for n in range(10)]
    try:
        lifetime.freeze_loaded()
        later = [[n] for n in range(10)]
        scanned = {id(o) for o in gc.get_objects()}
        assert gc.get_freeze_count() > 0
        assert not any(id(o) in scanned for o in loaded)
        assert all(id(o) in scanned for o in later)
    finally:
        gc.unfreeze()


def test_the_web_application_freezes_once_loaded(monkeypatch):
    frozen = []
    monkeypatch.setattr(lifetime, "freeze_loaded", lambda: frozen.append(True))
    monkeypatch.delitem(sys.modules, "antrean.wsgi", raising=False)
    wsgi = importlib.import_module("antrean.wsgi")
    assert frozen == [True]
    assert callable(wsgi.application)


def test_the_worker_freezes_once_loaded_before_it_runs_tasks(db, monkeypatch):
    from django.core.management import call_command

    from antrean.ops.management.commands import worker

    steps = []
    monkeypatch.setattr(worker, "freeze_loaded", lambda: steps.append("frozen"))
    monkeypatch.setattr(worker, "call_command", lambda name, **options: steps.append(name))
    monkeypatch.setattr(worker.signal, "signal", lambda *args: None)  # pytest's own stays
    call_command("worker", threads=1)
    assert steps == ["frozen", "run_huey"]
