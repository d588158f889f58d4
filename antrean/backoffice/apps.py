from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "antrean.backoffice"
    verbose_name = "back office"
