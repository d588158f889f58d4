"""A throwaway PostgreSQL cluster that a test owns, so that it can stop and restart it
without disturbing the suite's own server (tools/postgres.py, whose programs and
as-root handling it reuses)."""

import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

from antrean.ops.tests.processes import free_port


def _tools():
    path = Path(settings.BASE_DIR) / "tools" / "postgres.py"
    spec = importlib.util.spec_from_file_location("antrean_tools_postgres", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def require_postgres_programs() -> Path:
    """initdb and pg_ctl's folder; skip without them, or fail where CI needs them."""
    try:
        bindir = _tools().find_bindir()
    except SystemExit:  # tools/postgres.py's way of saying they are missing
        bindir = None
    if bindir is not None and (os.geteuid() != 0 or _postgres_user() is not None):
        return bindir
    why = "PostgreSQL server programs (initdb, pg_ctl) or, as root, the postgres user missing"
    if os.environ.get("ANTREAN_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{why}; ANTREAN_REQUIRE_POSTGRES=1 says they must be here")
    pytest.skip(f"{why} (apt-get install postgresql)")


def _postgres_user():
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


class PostgresServer:
    """initdb once, then start, stop and start again on the same port and data."""

    def __init__(self):
        self.bindir = require_postgres_programs()
        self.port = free_port()
        # Not under pytest's tmp_path: as root the server runs as `postgres`, which cannot
        # enter root's private temporary folders.
        self.folder = Path(tempfile.mkdtemp(prefix="antrean-faults-pg-"))
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            owner = _postgres_user()
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        os.chmod(self.folder, 0o755)
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.running = False

    @property
    def url(self) -> str:
        return f"postgres://antrean@127.0.0.1:{self.port}/antrean"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bindir / program), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def create(self) -> "PostgresServer":
        self._run(
            "initdb",
            *("-D", str(self.data), "-U", "antrean", "-A", "trust", "-E", "UTF8"),
            *("--locale=C", "--no-sync"),
        )
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "antrean", "antrean")
        return self

    def start(self) -> None:
        # Commits wait for their WAL to be written (synchronous_commit on, unlike the
        # suite's server): an `immediate` stop drops what is only in the server's memory,
        # and a 200 or a `sent` is a promise. Without fsync the OS keeps it, which is all
        # a killed server needs.
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c max_connections=100"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every session (a restart by an operator); `immediate` is a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        self.running = False

    def remove(self) -> None:
        if self.running:
            try:
                self.stop("immediate")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)
