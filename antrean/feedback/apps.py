from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "antrean.feedback"
    verbose_name = "Saran dan pengaduan"
