"""Start our own commands as real processes, the way an operator would."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ANTREAN = str(Path(sys.executable).with_name("antrean"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(data_dir: Path, **extra) -> dict:
    """The environment of a fresh installation: its own data folder, and its own database
    (a SQLite file there, or a new database on the suite's PostgreSQL server)."""
    env = dict(os.environ, ANTREAN_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **extra)
    if "DATABASE_URL" not in extra:
        env.pop("DATABASE_URL", None)
        suite_database = os.environ.get("DATABASE_URL", "")
        if suite_database.startswith("postgres"):
            env["DATABASE_URL"] = _fresh_postgres_database(suite_database)
    return env


def graph_environment(data_dir: Path, port: int, graph, secret: str, **extra) -> dict:
    """`environment()` of a web process on `port` whose replies go to `graph` (a Graph API
    stand-in with `url` and `token`), and whose webhook checks signatures with `secret`.
    A generous pair burst: the tests' applicants write more than a person would."""
    return environment(
        data_dir,
        PORT=str(port),
        WHATSAPP_API_URL=graph.url,
        WHATSAPP_ACCESS_TOKEN=graph.token,
        WHATSAPP_APP_SECRET=secret,
        WHATSAPP_SIMULATOR="0",
        WHATSAPP_PAIR_BURST="50",
        **extra,
    )


def _fresh_postgres_database(url: str) -> str:
    import uuid

    import psycopg

    name = f"e2e_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name


def prepare(env: dict) -> None:
    subprocess.run([ANTREAN, "migrate", "-v0"], env=env, check=True)
    subprocess.run([ANTREAN, "seed-demo"], env=env, check=True, capture_output=True)


def bookings(env: dict, phone: str) -> list[dict]:
    """`antrean bookings --json --phone`, run as an operator would."""
    out = subprocess.run(
        [ANTREAN, "bookings", "--json", "--phone", phone], env=env, check=True, capture_output=True
    )
    return json.loads(out.stdout)


# The demo offices' Jakarta Pusat LAW number (antrean/offices/demo.py).
JAKARTA_PUSAT = "100000000000101"


def a_bookable_day() -> date:
    """A working day a few days ahead that is no holiday (the demo offices are open)."""
    from antrean.offices.public_holidays import national_closures

    day = date.today() + timedelta(days=3)
    closed = national_closures(day.year) | national_closures(day.year + 1)
    while day.isoweekday() > 5 or day in closed:
        day += timedelta(days=1)
    return day


def start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    out = log.open("wb")
    return subprocess.Popen([ANTREAN, *args], env=env, stdout=out, stderr=subprocess.STDOUT)


def get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for(url: str, timeout: float = 30.0) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return get(url)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _parents() -> dict[int, int]:
    """Each running process's parent, from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def children(pid: int) -> set[int]:
    return {child for child, parent in _parents().items() if parent == pid}


def descendants(pid: int) -> set[int]:
    """Every process below `pid`."""
    parents = _parents()
    found, frontier = set(), {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier}
        frontier = children - found
        found |= children
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL a command and every process below it, as the OOM killer or a power cut would
    (`antrean serve`'s granian workers are child processes: killing the parent alone would
    leave them serving on the port). Frozen first, so that no parent respawns a child."""
    family = [process.pid, *descendants(process.pid)]
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for pid in family:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
    process.wait()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in family[1:]):
        assert time.monotonic() < deadline, "a killed process lingers"
        time.sleep(0.05)


def stop(process: subprocess.Popen, timeout: float = 30.0) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
