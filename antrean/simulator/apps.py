from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "antrean.simulator"
    verbose_name = "Simulator WhatsApp"
