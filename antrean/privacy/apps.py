from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "antrean.privacy"
    verbose_name = "Data pribadi"
