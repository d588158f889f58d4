from django.apps import AppConfig


class WhatsAppConfig(AppConfig):
    name = "antrean.whatsapp"
    label = "whatsapp"
    verbose_name = "WhatsApp"
