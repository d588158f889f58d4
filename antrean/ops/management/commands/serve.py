from django.core.management.base import BaseCommand

from antrean.lib.env import env, envint


class Command(BaseCommand):
    help = "Run the production web server (granian, WSGI) on HOST:PORT (default 127.0.0.1:8000)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=env("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=envint("PORT", 8000))
        parser.add_argument(
            "--workers",
            type=int,
            default=envint("WEB_WORKERS", 1),
            help="server processes (env WEB_WORKERS)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=envint("WEB_THREADS", 8),
            help="request threads per process (env WEB_THREADS)",
        )

    def handle(self, *args, **options):
        from granian import Granian
        from granian.constants import Interfaces

        self.stdout.write(
            f"antrean web on http://{options['host']}:{options['port']} "
            f"({options['workers']} process(es) x {options['threads']} thread(s))"
        )
        Granian(
            "antrean.wsgi:application",
            address=options["host"],
            port=options["port"],
            interface=Interfaces.WSGI,
            workers=options["workers"],
            blocking_threads=options["threads"],
            respawn_failed_workers=True,
        ).serve()
