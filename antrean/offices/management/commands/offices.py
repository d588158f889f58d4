import json

from django.core.management.base import BaseCommand

from antrean.offices.queries import office_json, offices


class Command(BaseCommand):
    help = "List the offices with their WhatsApp numbers, time zones and capacities."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print JSON (one list)")

    def handle(self, *args, **options):
        rows = [office_json(office) for office in offices()]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['id']:>3}  {row['code']:<16} {row['timezone']:<14} "
                f"{row['capacity_per_hour']:>3}/jam  {row['display_phone_number'] or '-':<18} "
                f"{row['name']}"
            )
