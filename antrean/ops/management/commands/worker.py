import os
import signal

from django.core.management import call_command
from django.core.management.base import BaseCommand

from antrean.lib.env import envint
from antrean.lib.lifetime import freeze_loaded


class Command(BaseCommand):
    help = "Run the background worker (the Huey consumer, with its periodic jobs)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--threads",
            type=int,
            default=envint("WORKER_THREADS", 4),
            help="worker threads (env WORKER_THREADS)",
        )
        parser.add_argument(
            "--nice",
            type=int,
            default=envint("WORKER_NICE", 0),
            help="lower the worker's CPU priority by this much (env WORKER_NICE)",
        )

    def handle(self, *args, **options):
        from django.conf import settings
        from django.utils import timezone

        from antrean.whatsapp.tasks import sweep

        # Stopped before the consumer below has its own handler (a slow start, a quick
        # `systemctl stop`): nothing runs yet, so stopping is simply leaving.
        signal.signal(signal.SIGTERM, _leave)
        if options["nice"] > 0:
            # Beside a web process on the same cores, the acknowledgements come first: a
            # webhook's answer has Meta waiting; a reply may wait some milliseconds.
            os.nice(options["nice"])
        queue = settings.HUEY["huey_class"].rsplit(".", 1)[-1]
        self.stdout.write(f"antrean worker: {options['threads']} thread(s), queue {queue}")
        # Whatever a killed worker or web process left half-done is handed out again first.
        to_process, to_deliver = sweep(timezone.now(), startup=True)
        self.stdout.write(
            f"antrean worker: {to_process} chat(s) to process, {to_deliver} to deliver"
        )
        self.stdout.flush()
        freeze_loaded()  # the tasks, the models, the catalogs: loaded for the process's life
        # SIGTERM (systemd, `antrean run`) lets running tasks finish; Huey's default would
        # cut them off. Locks a killed worker left behind are cleared at start.
        call_command(
            "run_huey",
            workers=options["threads"],
            worker_type="thread",
            graceful_signal="TERM",
            flush_locks=True,
        )


def _leave(signum, frame):
    raise SystemExit(0)
