from django.conf import settings
from django.core.management.base import BaseCommand

from antrean.backoffice.demo import demo_password, seed_demo_staff
from antrean.offices.demo import seed_demo_offices


class Command(BaseCommand):
    help = (
        "Create or update the demo offices, their WhatsApp numbers and counters, and (on a "
        "demo machine, with the WhatsApp simulator) one back-office account per role."
    )

    def handle(self, *args, **options):
        created, updated = seed_demo_offices()
        self.stdout.write(f"Demo offices: {created} created, {updated} already there (updated).")
        if not settings.WHATSAPP_SIMULATOR:
            self.stdout.write("Demo accounts skipped: this machine talks to the real WhatsApp.")
            return
        made = seed_demo_staff()
        if made:
            self.stdout.write(
                f"Demo back-office accounts {', '.join(made)} (password {demo_password()!r})"
                " at /kantor/."
            )
