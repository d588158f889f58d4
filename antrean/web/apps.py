from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "antrean.web"
    verbose_name = "Halaman publik"
