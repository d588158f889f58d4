from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class OfficesConfig(AppConfig):
    name = "antrean.offices"
    verbose_name = "Kantor imigrasi"

    def ready(self):
        from antrean.lib.memo import forget_all
        from antrean.offices.models import Closure, OfficeText, ServiceType, WhatsAppNumber

        # The reference data that `antrean.lib.memo` keeps: forget it on any change here.
        for model in (Closure, OfficeText, ServiceType, WhatsAppNumber):
            post_save.connect(forget_all, sender=model, dispatch_uid=f"memo-{model.__name__}")
            post_delete.connect(forget_all, sender=model, dispatch_uid=f"memo-d-{model.__name__}")
