from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "antrean.ops"
    verbose_name = "Operasi"
