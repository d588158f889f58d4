"""Key rotation: rows and photo files written under an old key are rewritten with the new
one, after which the old key can go. Stopped half-way, the command is simply run again."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connections, router
from django.db.models import TextField, Value

from antrean.lib import crypto
from antrean.privacy import reencrypt
from antrean.whatsapp import media
from antrean.whatsapp.models import Delivery, StoredMedia

from conftest import NOW

pytestmark = pytest.mark.django_db

OLD, NEW, STRANGER = (Fernet.generate_key().decode() for _ in range(3))


@pytest.fixture
def old_key(settings):
    """Everything the test writes is written under OLD (ask for it before `world`)."""
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    return settings


def plain() -> dict:
    """Every encrypted value of every row, as the fields read them with today's keys."""
    return {
        (model._meta.label, obj.pk, field.attname): getattr(obj, field.attname)
        for model, fields in reencrypt.encrypted_fields()
        for obj in model._base_manager.all()
        for field in fields
    }


def tokens() -> dict:
    """The same values as stored: Fernet tokens (or NULL, or erased)."""
    found = {}
    for model, fields in reencrypt.encrypted_fields():
        connection = connections[router.db_for_read(model)]  # deliveries: the inbox
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, {columns} FROM {table}")
            for pk, *values in cursor.fetchall():
                for field, value in zip(fields, values, strict=True):
                    if value:
                        found[(model._meta.label, pk, field.attname)] = value
    return found


def unencrypted() -> dict:
    """Every other column of those rows: rotation must not touch them (no save(), no
    auto_now)."""
    return {
        model._meta.label: list(
            model._base_manager.order_by("pk").values(
                *(f.attname for f in model._meta.concrete_fields if f not in fields)
            )
        )
        for model, fields in reencrypt.encrypted_fields()
    }


def readable_by(key: str, token: str | bytes) -> bool:
    try:
        Fernet(key.encode()).decrypt(token.encode() if isinstance(token, str) else token)
    except Exception:
        return False
    return True


def photo_files() -> list:
    return sorted(media.media_root().glob("*/*.bin"))


def test_old_rows_read_with_both_keys_and_with_the_new_alone_after_reencrypt(old_key, world):
    before, stored = plain(), tokens()
    labels = {model._meta.label for model, _ in reencrypt.encrypted_fields()}
    assert {label for label, _, _ in stored} == labels, "every encrypted model needs a row here"
    assert all(readable_by(OLD, token) for token in stored.values())
    assert photo_files() and all(readable_by(OLD, p.read_bytes()) for p in photo_files())
    others = unencrypted()

    old_key.FIELD_ENCRYPTION_KEYS = [NEW, OLD]  # the new key first, the old one still there
    assert plain() == before
    out = io.StringIO()
    call_command("reencrypt", "--batch", "2", stdout=out)

    old_key.FIELD_ENCRYPTION_KEYS = [NEW]  # the old key retired
    assert plain() == before
    assert all(readable_by(NEW, token) for token in tokens().values())
    for stored_media in StoredMedia.objects.all():
        media.read(stored_media)
    assert all(readable_by(NEW, p.read_bytes()) for p in photo_files())
    assert not any(readable_by(OLD, p.read_bytes()) for p in photo_files())
    assert unencrypted() == others

    text = out.getvalue()
    assert "booking.Booking" in text and "photo files" in text and "0 unreadable" in text
    for secret in (world.nik, "Budi", "Melati", world.family.phone):
        assert secret not in text
    again = io.StringIO()
    call_command("reencrypt", stdout=again)  # nothing left to do
    lines = [line for line in again.getvalue().splitlines() if "re-encrypted" in line]
    assert len(lines) == len(labels) + 1  # and the photo files
    assert all(", 0 re-encrypted," in line for line in lines)


def test_a_run_stopped_half_way_is_finished_by_the_next(old_key, world, monkeypatch):
    before = plain()
    old_key.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    calls, real = [], crypto.rotate

    def failing(token):
        calls.append(token)
        if len(calls) == 7:
            raise RuntimeError("the machine went away")
        return real(token)

    monkeypatch.setattr(crypto, "rotate", failing)
    with pytest.raises(RuntimeError):
        call_command("reencrypt", "--batch", "2", stdout=io.StringIO())
    monkeypatch.setattr(crypto, "rotate", real)
    stored = tokens().values()
    done = sum(readable_by(NEW, token) for token in stored)
    assert 0 < done < len(stored)  # the batches before the failure are committed, no more

    call_command("reencrypt", "--batch", "2", stdout=io.StringIO())
    old_key.FIELD_ENCRYPTION_KEYS = [NEW]
    assert plain() == before


def test_a_value_no_key_reads_is_reported_and_the_rest_is_done(old_key, world):
    stranger = Fernet(STRANGER.encode()).encrypt(b'{"entry": []}').decode()
    odd = Delivery.objects.create(received_at=NOW, body="x")
    Delivery.objects.filter(pk=odd.pk).update(body=Value(stranger, output_field=TextField()))
    old_key.FIELD_ENCRYPTION_KEYS = [NEW, OLD]

    out = io.StringIO()
    with pytest.raises(CommandError, match="1 value"):
        call_command("reencrypt", stdout=out)

    assert "1 unreadable" in out.getvalue()
    rest = tokens()
    assert not readable_by(NEW, rest.pop(("whatsapp.Delivery", odd.pk, "body")))
    assert all(readable_by(NEW, token) for token in rest.values())


def test_rotate_leaves_a_current_token_alone(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    token = crypto.encrypt("3171012501870001")
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    rotated = crypto.rotate(token)
    assert rotated != token and readable_by(NEW, rotated) and not readable_by(OLD, rotated)
    assert crypto.rotate(rotated) == rotated
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    assert crypto.decrypt(rotated) == "3171012501870001"
