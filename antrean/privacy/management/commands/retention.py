from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from antrean.privacy import retention


class Command(BaseCommand):
    help = (
        "Erase personal data past RETENTION_DAYS (and the audit log past "
        "AUDIT_RETENTION_DAYS), keeping what statistics need. Prints counts per kind."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would change; change nothing"
        )
        parser.add_argument(
            "--batch", type=int, default=retention.BATCH, help="rows per transaction"
        )

    def handle(self, *args, dry_run=False, batch=retention.BATCH, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        try:
            tally = retention.run(timezone.now(), dry_run=dry_run, batch=batch)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"retention{' (dry run: nothing changed)' if dry_run else ''}: personal data "
            f"{settings.RETENTION_DAYS} days after its day, audit log "
            f"{settings.AUDIT_RETENTION_DAYS} days"
        )
        width = max(len(kind) for kind in tally)
        for kind, count in tally.items():
            self.stdout.write(f"  {kind:<{width}}  {count}")
