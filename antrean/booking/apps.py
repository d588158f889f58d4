from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "antrean.booking"
    verbose_name = "Pemesanan antrean"
