"""Refuse to run a real deployment that cannot verify or answer WhatsApp."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def whatsapp_configuration(app_configs, **kwargs):
    if settings.WHATSAPP_SIMULATOR:
        return []
    missing = [
        name
        for name in ("WHATSAPP_APP_SECRET", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_VERIFY_TOKEN")
        if not getattr(settings, name)
    ]
    return [
        Error(
            f"{name} is not set, and the WhatsApp simulator is off.",
            hint="Set it in the environment (see README.md), or unset WHATSAPP_ACCESS_TOKEN "
            "to run the simulator instead.",
            id="antrean.E001",
        )
        for name in missing
    ]
