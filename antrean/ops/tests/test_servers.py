"""`antrean serve`, `antrean worker` and `antrean run` as real processes."""

import os
import signal
import time

import pytest

from antrean.ops.tests.processes import (
    alive,
    children,
    descendants,
    environment,
    free_port,
    prepare,
    start,
    stop,
    wait_for,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path):
    env = environment(tmp_path / "data")
    prepare(env)
    return env


def test_serve_answers_on_host_and_port_and_stops_on_sigterm(env, tmp_path):
    port = free_port()
    server = start(["serve"], dict(env, PORT=str(port)), tmp_path / "serve.log")
    try:
        status, body = wait_for(f"http://127.0.0.1:{port}/healthz")
        assert (status, body) == (200, '{"status": "ok", "database": "ok"}')
        status, page = wait_for(f"http://127.0.0.1:{port}/")
        assert status == 200 and "Kantor Imigrasi Kelas I Khusus TPI Batam" in page
        status, _ = wait_for(f"http://127.0.0.1:{port}/static/web/site.css")
        assert status == 200
    finally:
        code = stop(server)
    assert code == 0, (tmp_path / "serve.log").read_text()


def test_healthz_says_503_when_the_database_is_unreachable(tmp_path):
    port, dead = free_port(), free_port()
    env = environment(
        tmp_path / "data", DATABASE_URL=f"postgres://nobody@127.0.0.1:{dead}/none", PORT=str(port)
    )
    server = start(["serve"], env, tmp_path / "serve.log")
    try:
        status, body = wait_for(f"http://127.0.0.1:{port}/healthz")
        assert status == 503
        assert "unreachable" in body
    finally:
        stop(server)


def _nice(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[16])


def _until(check, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds  # a loaded machine starts Python slowly
    while not check() and time.monotonic() < deadline:
        time.sleep(0.2)
    return check()


def test_worker_starts_and_stops_cleanly(env, tmp_path):
    worker = start(["worker"], env, tmp_path / "worker.log")
    log = tmp_path / "worker.log"
    _until(lambda: "to deliver" in log.read_text())
    time.sleep(1)
    assert worker.poll() is None, log.read_text()
    assert _nice(worker.pid) == 0  # nothing asked: the priority it was started with
    assert stop(worker) == 0
    assert "antrean worker: 4 thread(s), queue NudgeQueue" in (tmp_path / "worker.log").read_text()


def test_worker_lowers_its_cpu_priority_when_asked(env, tmp_path):
    worker = start(["worker"], dict(env, WORKER_NICE="7"), tmp_path / "worker.log")
    try:
        assert _until(lambda: "to deliver" in (tmp_path / "worker.log").read_text())
        assert _nice(worker.pid) == 7
    finally:
        assert stop(worker) == 0


def _commands(pids) -> dict[int, str]:
    found = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                found[pid] = cmdline.read().replace(b"\0", b" ").decode()
        except OSError:
            pass
    return found


@pytest.mark.parametrize(
    ("setting", "workers", "nice"), [(None, 2, None), ("1", 1, "3"), ("3", 3, None)]
)
def test_run_starts_web_and_workers_and_sigterm_stops_every_process(
    env, tmp_path, setting, workers, nice
):
    port = free_port()
    extra = {"PORT": str(port)} | ({"WORKER_PROCESSES": setting} if setting else {})
    extra |= {"WORKER_NICE": nice} if nice else {}
    runner = start(["run"], dict(env, **extra), tmp_path / "run.log")
    try:
        status, _ = wait_for(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        family = descendants(runner.pid)
        assert len(family) >= 2 + workers  # serve, its granian worker(s), and the workers
        started = _commands(children(runner.pid))
        niced = [pid for pid, command in started.items() if command.endswith("antrean worker ")]
        web = [pid for pid, command in started.items() if command.endswith("antrean serve ")]
        assert (len(niced), len(web)) == (workers, 1)
        # The workers below the web's CPU priority (`WORKER_NICE`, 10 unless set).
        assert _until(lambda: {_nice(pid) for pid in niced} == {int(nice or 10)})
        assert [_nice(pid) for pid in web] == [0]
    finally:
        code = stop(runner)
    assert code == 0, (tmp_path / "run.log").read_text()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in family if alive(pid)]


def test_run_stops_everything_when_one_part_dies(env, tmp_path):
    port = free_port()
    runner = start(["run"], dict(env, PORT=str(port)), tmp_path / "run.log")
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        time.sleep(1)
        worker = max(children(runner.pid))  # started second
        os.kill(worker, signal.SIGKILL)
        assert runner.wait(timeout=30) != 0
    finally:
        if runner.poll() is None:
            stop(runner)
    assert "exited" in (tmp_path / "run.log").read_text()
