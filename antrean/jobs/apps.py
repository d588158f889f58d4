from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "antrean.jobs"
    verbose_name = "Pekerjaan terjadwal"
