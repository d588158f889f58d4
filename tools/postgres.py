"""Run a command against a throwaway PostgreSQL cluster.

    python tools/postgres.py -- pytest -q
    python tools/postgres.py --durable -- python bench/e2e.py

Creates a cluster with initdb in a temporary folder, starts it with pg_ctl on a free
port (loopback only), runs the command with DATABASE_URL pointing at it, then stops the
server and removes the folder, whatever the command did. For tests the server does not
wait for the disk (fsync off); `--durable` keeps PostgreSQL's defaults there, as a
benchmark compared with SQLite's durable commits needs. PostgreSQL refuses to run as
root, so as root the server runs as the `postgres` system user (created by Debian's
postgresql packages; `.ci/run` installs them).
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def find_bindir() -> Path:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    sys.exit(
        "tools/postgres.py: PostgreSQL server programs (initdb, pg_ctl) not found. "
        "Install them, e.g. `apt-get install postgresql`."
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str]) -> int:
    durable = False
    if "--" in argv:
        durable = "--durable" in argv[: argv.index("--")]
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        sys.exit("usage: python tools/postgres.py [--durable] -- COMMAND [ARGS...]")
    bindir = find_bindir()
    as_user: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="antrean-pg-"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            sys.exit("tools/postgres.py: running as root needs the `postgres` system user")
        os.chown(workdir, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    os.chmod(workdir, 0o755)
    data = workdir / "data"
    port = free_port()
    log = workdir / "server.log"

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, stdout=subprocess.DEVNULL)

    started = False
    try:
        run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "antrean",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start")
        started = True
        run(
            str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "antrean", "antrean"
        )
        env = dict(os.environ, DATABASE_URL=f"postgres://antrean@127.0.0.1:{port}/antrean")
        print(f"tools/postgres.py: PostgreSQL on 127.0.0.1:{port}", flush=True)
        return subprocess.call(argv, env=env)
    except subprocess.CalledProcessError as exc:
        if log.exists():
            sys.stderr.write(log.read_text())
        sys.stderr.write(f"tools/postgres.py: {exc}\n")
        return 1
    finally:
        if started:
            subprocess.run(
                [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                stdout=subprocess.DEVNULL,
                check=False,
            )
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
