"""`antrean migrate`: Django's migrate, for every database unless `--database` names one.

On SQLite the webhook's deliveries have a file of their own (antrean/whatsapp/inbox.py);
an operator runs one command and gets both. Django's own test setup names each database,
so it is unchanged.
"""

from django.conf import settings
from django.core.management.commands import migrate


class Command(migrate.Command):
    help = "Update every database's tables (or only --database's) to the code's migrations."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database=None)

    def get_check_kwargs(self, options):
        kwargs = super().get_check_kwargs(options)
        if options["database"] is None:
            kwargs["databases"] = list(settings.DATABASES)
        return kwargs

    def handle(self, *args, **options):
        if options["database"] is not None:
            return super().handle(*args, **options)
        for alias in settings.DATABASES:
            if options["verbosity"] >= 1 and len(settings.DATABASES) > 1:
                self.stdout.write(self.style.MIGRATE_HEADING(f"Database {alias}:"))
            super().handle(*args, **{**options, "database": alias})
