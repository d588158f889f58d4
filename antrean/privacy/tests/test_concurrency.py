"""Periodic tasks run in every worker: two retention runs at once share the work, each row
done by exactly one of them, and neither fails."""

import threading

import pytest
from django.db import connection

from antrean.booking.models import Booking
from antrean.privacy import retention

from conftest import NOW

# Committed for real, so the two threads (two connections) see each other's work; the
# reference data is restored afterwards, as in the other concurrency tests.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_runs_at_once_do_every_row_once(world):
    expected = retention.run(NOW, dry_run=True)
    start, results, errors = threading.Barrier(2), [], []

    def worker():
        try:
            start.wait()
            results.append(retention.run(NOW, batch=1))
        except Exception as error:  # reported below, with its type
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(results) == 2
    # Row kinds are shared out by locks; files are deleted by whoever gets there first.
    total = {kind: results[0][kind] + results[1][kind] for kind in expected}
    assert total == expected
    assert expected["bookings"] == 5
    assert not Booking.objects.filter(pk=world.family.pk).exclude(name="").exists()
    assert retention.run(NOW) == dict.fromkeys(expected, 0)
