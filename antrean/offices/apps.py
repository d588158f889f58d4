from django.apps import AppConfig


class OfficesConfig(AppConfig):
    name = "antrean.offices"
    verbose_name = "Kantor imigrasi"
