import datetime

import pytest

from antrean.web import limits, otp
from antrean.web.models import Allowance, PhoneCode
from antrean.web.tasks import forget_spent_codes_and_limits

from conftest import NOW

pytestmark = pytest.mark.django_db

THREE_A_MINUTE = limits.Limit("test_three", 3, datetime.timedelta(minutes=1))


def test_a_limit_allows_its_count_per_window_then_says_how_long_to_wait():
    for _ in range(3):
        limits.take(THREE_A_MINUTE, "198.51.100.1", NOW)
    with pytest.raises(limits.Exceeded) as refused:
        limits.take(THREE_A_MINUTE, "198.51.100.1", NOW + datetime.timedelta(seconds=20))
    assert refused.value.retry_after == 40
    limits.take(THREE_A_MINUTE, "198.51.100.2", NOW)  # another key has its own count
    limits.take(THREE_A_MINUTE, "198.51.100.1", NOW + datetime.timedelta(minutes=1))


def test_keys_are_stored_hashed():
    limits.take(THREE_A_MINUTE, "6281234567890", NOW)
    assert "6281234567890" not in Allowance.objects.get().key


def test_settings_can_change_a_count(settings):
    settings.WEB_RATE_LIMITS = {"test_three": 1}
    limits.take(THREE_A_MINUTE, "x", NOW)
    with pytest.raises(limits.Exceeded):
        limits.take(THREE_A_MINUTE, "x", NOW)


def test_the_housekeeping_job_keeps_what_is_not_over(time_machine):
    time_machine.move_to(NOW, tick=False)
    limits.take(THREE_A_MINUTE, "x", NOW)
    otp.issue("6281234567890", NOW)
    assert PhoneCode.objects.get().code_hash != "6281234567890"

    forget_spent_codes_and_limits.call_local()
    assert Allowance.objects.count() == 1 and PhoneCode.objects.count() == 1


def test_the_housekeeping_job_deletes_ended_windows_and_old_codes(time_machine):
    limits.take(THREE_A_MINUTE, "x", NOW)
    otp.issue("6281234567890", NOW)
    time_machine.move_to(NOW + datetime.timedelta(days=2), tick=False)

    forget_spent_codes_and_limits.call_local()
    forget_spent_codes_and_limits.call_local()
    assert not Allowance.objects.exists() and not PhoneCode.objects.exists()
