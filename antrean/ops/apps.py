from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "antrean.ops"
    verbose_name = "Operasi"

    def ready(self):
        from antrean.ops import checks  # noqa: F401 (registers the deploy checks)
