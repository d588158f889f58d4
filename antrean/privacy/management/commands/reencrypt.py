from django.core.management.base import BaseCommand, CommandError

from antrean.privacy import reencrypt


class Command(BaseCommand):
    help = (
        "Rewrite every encrypted column and photo file with the first key of "
        "FIELD_ENCRYPTION_KEYS, so older keys can be removed. Safe to stop and run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=reencrypt.BATCH, help="rows per transaction"
        )

    def handle(self, *args, batch=reencrypt.BATCH, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        unreadable = 0
        for model, fields in reencrypt.encrypted_fields():
            count = reencrypt.rows(model, fields, batch=batch)
            unreadable += count.unreadable
            self._line(model._meta.label, count)
        count = reencrypt.files()
        unreadable += count.unreadable
        self._line("photo files", count)
        if unreadable:
            raise CommandError(
                f"{unreadable} value(s) could be read with none of the keys: keep every "
                "old key until they are explained"
            )
        self.stdout.write("done: every value is encrypted with the first key")

    def _line(self, what: str, count: reencrypt.Count) -> None:
        self.stdout.write(
            f"  {what:<28} {count.values} encrypted, {count.rotated} re-encrypted, "
            f"{count.unreadable} unreadable"
        )
