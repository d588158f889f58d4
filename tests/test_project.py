"""Project-wide promises: database settings in effect, migrations in step, the README."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_sqlite_runs_in_wal_with_immediate_transactions_and_a_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings; this run uses " + connection.vendor)
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    assert connection.transaction_mode == "IMMEDIATE"


@pytest.mark.django_db
def test_postgresql_when_database_url_says_so():
    import os

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("this run uses SQLite")
    assert connection.vendor == "postgresql"
    assert connection.pg_version >= 150000


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_system_checks_pass():
    call_command("check")


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    head = readme[:600]
    assert "make demo" in head and "make test" in head
    assert head.index("make demo") < head.index("make test")


def test_ci_runs_make_test():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def _audit():
    import importlib.util

    spec = importlib.util.spec_from_file_location("audit", ROOT / "tools" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ci_runs_the_dependency_audit():
    assert "make audit-ci" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("verdict", [0, 3])
def test_the_audit_runs_and_its_verdict_counts_when_pypi_answers(monkeypatch, verdict):
    audit = _audit()
    monkeypatch.setattr(audit, "reachable", lambda: None)
    assert audit.main(["python3", "-c", f"raise SystemExit({verdict})"]) == verdict


def test_an_audit_that_cannot_reach_pypi_says_so_and_fails_only_when_required(monkeypatch, capsys):
    audit = _audit()
    monkeypatch.setattr(audit, "reachable", lambda: "https://pypi.org/... answered HTTP 404")
    monkeypatch.delenv("ANTREAN_REQUIRE_AUDIT", raising=False)
    assert audit.main(["false"]) == 0
    assert "NOT RUN" in capsys.readouterr().err
    monkeypatch.setenv("ANTREAN_REQUIRE_AUDIT", "1")
    assert audit.main(["false"]) == 1


def test_the_audit_asks_pypi_about_a_release_we_pinned():
    name, version = _audit().first_pin()
    assert f"{name}=={version}" in (ROOT / "requirements.lock").read_text()
