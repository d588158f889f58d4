import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from antrean.booking.errors import InvalidPhone
from antrean.booking.phone import normalize_phone
from antrean.booking.queries import booking_json, bookings
from antrean.offices.models import Office


class Command(BaseCommand):
    help = "List bookings, optionally for one phone, office or visit date."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print JSON (one list)")
        parser.add_argument("--phone", help="WhatsApp id (6281234567890) or any phone format")
        parser.add_argument("--office", help="office id (see `antrean offices`) or code")
        parser.add_argument("--date", help="visit date, YYYY-MM-DD")

    def handle(self, *args, **options):
        phone = office_id = day = None
        if options["phone"]:
            try:
                phone = normalize_phone(options["phone"])
            except InvalidPhone:
                raise CommandError(
                    f"--phone {options['phone']!r} is not a phone number; "
                    "give it as WhatsApp does, e.g. 6281234567890"
                ) from None
        if options["office"]:
            office_id = self._office_id(options["office"])
        if options["date"]:
            try:
                day = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(
                    f"--date {options['date']!r} is not a date; use YYYY-MM-DD, e.g. 2027-08-07"
                ) from None
        rows = [booking_json(b) for b in bookings(phone=phone, office_id=office_id, day=day)]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['code']}  {row['status']:<10} {row['visit_date']} "
                f"{row['slot_start'][11:16]}  {row['queue_number'] or '-':<6} "
                f"{row['office_code']:<16} {row['phone']:<15} {row['name']}"
            )
        self.stdout.write(f"{len(rows)} booking(s)")

    @staticmethod
    def _office_id(value: str) -> int:
        office = Office.objects.filter(code=value).first()
        if office is None and value.isdigit():
            office = Office.objects.filter(pk=int(value)).first()
        if office is None:
            raise CommandError(
                f"--office {value!r}: no such office; `antrean offices` lists ids and codes"
            )
        return office.pk
