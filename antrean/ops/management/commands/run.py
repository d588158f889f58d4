"""`antrean run`: web server and workers together, for a single machine."""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

from antrean.lib.env import envint

# The workers' CPU priority beside the web (`antrean worker --nice`, WORKER_NICE): with two
# busy workers on a small machine's cores, an acknowledgement waited its turn behind them
# (p99 55 ms at 500 a second); lowered, the web comes first (15 ms), and the workers lose
# nothing, as the web leaves them the rest (bench/README.md).
WORKER_NICE = 10
# Two workers by default, even on SQLite's one writer: a worker spends about half its time
# outside write transactions (the QR code, the Graph API calls), which the other worker's
# transactions fill (bench/README.md, "Two workers"; decisions §26).
WORKER_PROCESSES = 2


class Command(BaseCommand):
    help = "Run the web server and the workers together; SIGTERM or Ctrl-C stops them all."

    def add_arguments(self, parser):
        parser.add_argument(
            "--workers",
            type=int,
            default=envint("WORKER_PROCESSES", WORKER_PROCESSES),
            help="worker processes (env WORKER_PROCESSES)",
        )

    def handle(self, *args, **options):
        base = [sys.executable, "-m", "antrean"]
        children = {"web": subprocess.Popen([*base, "serve"])}  # noqa: S603 (our own command)
        worker_env = {"WORKER_NICE": str(WORKER_NICE), **os.environ}  # unless set
        for number in range(1, max(1, options["workers"]) + 1):
            children[f"worker {number}"] = subprocess.Popen(  # noqa: S603
                [*base, "worker"], env=worker_env
            )
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        exit_code = 0
        try:
            while not stopping:
                for name, child in children.items():
                    code = child.poll()
                    if code is not None:
                        self.stderr.write(f"antrean run: the {name} process exited ({code})")
                        exit_code = code or 1
                        stopping = True
                        break
                time.sleep(0.2)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 20
            for child in children.values():
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        if exit_code:
            sys.exit(exit_code)
