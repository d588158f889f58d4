"""Run a command beside a throwaway redis-server.

    python tools/with_redis.py -- python bench/e2e.py

Starts redis-server on a free loopback port with a folder of its own (nothing kept on
disk), runs the command with REDIS_URL pointing at it, then stops the server and removes
the folder, whatever the command did. The server is the tests' (antrean/ops/tests/
redis_server.py), so both start it the same way. (Not `tools/redis.py`: the script's
folder comes first on the path, and `import redis` would find this file.)
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        sys.exit("usage: python tools/with_redis.py -- COMMAND [ARGS...]")
    if not shutil.which("redis-server"):
        sys.exit("tools/with_redis.py: redis-server not found (apt-get install redis-server)")
    from antrean.ops.tests.redis_server import RedisServer

    folder = Path(tempfile.mkdtemp(prefix="antrean-redis-"))
    server = RedisServer(folder)
    try:
        server.start()
        print(f"tools/with_redis.py: redis-server on 127.0.0.1:{server.port}", flush=True)
        return subprocess.call(argv, env=dict(os.environ, REDIS_URL=server.url))
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
