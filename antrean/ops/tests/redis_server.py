"""A throwaway `redis-server` for tests: its own port and folder, nothing kept on disk."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from antrean.ops.tests.processes import free_port

REDIS_SERVER = shutil.which("redis-server")


def require_redis_server() -> str:
    """The redis-server program; skip the test without it, or fail where CI needs it."""
    if REDIS_SERVER:
        return REDIS_SERVER
    why = "redis-server not installed (apt-get install redis-server)"
    if os.environ.get("ANTREAN_REQUIRE_REDIS") == "1":
        pytest.fail(f"{why}; ANTREAN_REQUIRE_REDIS=1 says it must be here")
    pytest.skip(f"{why}; .ci/run installs it and sets ANTREAN_REQUIRE_REDIS=1")


class RedisServer:
    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        program = require_redis_server()
        log = (self.folder / "redis.log").open("wb")
        self.process = subprocess.Popen(
            [
                program,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.client().ping():
                    return self
            except Exception:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"redis-server did not start: {(self.folder / 'redis.log').read_text()}"
                    ) from None
            time.sleep(0.1)

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
