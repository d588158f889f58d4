"""`antrean check --deploy` refuses a shared deployment whose keys would differ per machine."""

from antrean.ops.checks import shared_keys


def _ids(errors):
    return sorted(e.msg.split()[0] for e in errors)


def test_a_single_sqlite_machine_may_generate_its_keys(settings, monkeypatch):
    settings.DATABASE_URL = "sqlite:////var/lib/antrean/antrean.sqlite3"
    settings.REDIS_URL = ""
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert shared_keys(None) == []


def test_with_redis_or_postgresql_every_key_must_be_set(settings, monkeypatch):
    settings.DATABASE_URL = "sqlite:////var/lib/antrean/antrean.sqlite3"
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    monkeypatch.setenv("SECRET_KEY", "s" * 50)
    monkeypatch.delenv("FIELD_ENCRYPTION_KEYS", raising=False)
    monkeypatch.delenv("FIELD_HASH_KEY", raising=False)
    assert _ids(shared_keys(None)) == ["FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEY"]
    assert {e.id for e in shared_keys(None)} == {"antrean.E002"}

    settings.REDIS_URL = ""
    settings.DATABASE_URL = "postgres://antrean@db/antrean"
    monkeypatch.setenv("FIELD_ENCRYPTION_KEYS", "k")
    monkeypatch.setenv("FIELD_HASH_KEY", "h")
    assert shared_keys(None) == []
    monkeypatch.delenv("SECRET_KEY")
    assert _ids(shared_keys(None)) == ["SECRET_KEY"]
