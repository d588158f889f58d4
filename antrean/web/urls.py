from django.urls import path

from antrean.web import booking, i18n, manage, payment, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("bahasa/<str:lang>", i18n.switch, name="language"),
    # Booking on the web, step by step.
    path("pesan/", booking.where, name="where"),
    path("pesan/nomor", booking.phone, name="phone"),
    path("pesan/verifikasi", booking.verify, name="verify"),
    path("pesan/data", booking.details, name="details"),
    path("pesan/jam", booking.hours, name="hours"),
    path("bukti/<str:code>", booking.proof_page, name="proof"),
    path("bukti/<str:code>/pdf", booking.proof_pdf, name="proof_pdf"),
    # Managing a booking: find it by code and NIK.
    path("kelola/", manage.lookup, name="lookup"),
    path("kelola/<str:code>", manage.manage, name="manage"),
    path("kelola/<str:code>/batal", manage.cancel, name="cancel"),
    path("kelola/<str:code>/ubah", manage.reschedule, name="reschedule"),
    # The PNBP fee: the bank's signed callback, and the demo's payment page.
    path("pembayaran/callback", payment.callback, name="payment_callback"),
    path("pembayaran/simulasi/<str:billing_code>", payment.simulator, name="pay_simulator"),
]
