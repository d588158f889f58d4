from django.apps import AppConfig


class ReleaseConfig(AppConfig):
    name = "antrean.release"
    verbose_name = "Rilis kuota dan undian"
