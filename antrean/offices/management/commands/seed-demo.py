from django.core.management.base import BaseCommand

from antrean.offices.demo import seed_demo_offices


class Command(BaseCommand):
    help = "Create or update the demo offices and their WhatsApp numbers (safe to run again)."

    def handle(self, *args, **options):
        created, updated = seed_demo_offices()
        self.stdout.write(f"Demo offices: {created} created, {updated} already there (updated).")
