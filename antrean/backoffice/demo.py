"""Demo accounts for the back office, one per role, created only on a demo machine."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from antrean.backoffice.models import Staff
from antrean.backoffice.roles import Role
from antrean.offices.models import Office

DEMO_OFFICE = "jakarta-pusat"
DEMO_ACCOUNTS = [  # username, full name, role, office code
    ("pusat", "Admin Pusat", Role.HQ, None),
    ("supervisor", "Supervisor Jakarta Pusat", Role.SUPERVISOR, DEMO_OFFICE),
    ("petugas", "Petugas Loket Jakarta Pusat", Role.OFFICER, DEMO_OFFICE),
]


def demo_password() -> str:
    return settings.DEMO_STAFF_PASSWORD


@transaction.atomic
def seed_demo_staff() -> list[str]:
    """Create the demo accounts that are missing; never touches an existing account (its
    password may have been changed). Returns the usernames created."""
    users = get_user_model()
    made = []
    for username, full_name, role, office_code in DEMO_ACCOUNTS:
        if users.objects.filter(username=username).exists():
            continue
        office = Office.objects.get(code=office_code) if office_code else None
        user = users.objects.create_user(
            username=username, password=demo_password(), first_name=full_name
        )
        Staff.objects.create(user=user, role=role, office=office)
        made.append(username)
    return made
