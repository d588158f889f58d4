"""Fixtures shared by the multi-process tests of this folder."""

import pytest

from antrean.ops.tests.redis_server import RedisServer, require_redis_server


@pytest.fixture
def redis_server(tmp_path):
    """A throwaway redis-server of the test's own (skipped without one, unless required)."""
    require_redis_server()
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()
