from django.apps import AppConfig


class WhatsAppConfig(AppConfig):
    name = "antrean.whatsapp"
    label = "whatsapp"
    verbose_name = "WhatsApp"

    def ready(self):
        from antrean.whatsapp import (
            checks,  # noqa: F401 (registers the system check)
            qrmask,
        )

        qrmask.install()  # every QR code we make (WhatsApp's PNG, the web's proof) is faster
