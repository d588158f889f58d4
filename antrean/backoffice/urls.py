from django.urls import path
from django.views.generic import RedirectView

from antrean.backoffice.views import (
    arrival,
    auth,
    counter,
    day,
    feedback,
    numbers,
    people,
    scalping,
    setup,
)

app_name = "backoffice"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="backoffice:today"), name="home"),
    path("masuk", auth.login, name="login"),
    path("keluar", auth.logout, name="logout"),
    path("pilih-kantor", auth.switch_office, name="switch_office"),
    path("hari-ini", day.today_page, name="today"),
    path("pemesanan/<str:code>", day.booking_page, name="booking"),
    path("pemesanan/<str:code>/tahap", day.set_stage, name="set_stage"),
    path("pemesanan/<str:code>/lunas", day.mark_paid, name="mark_paid"),
    path("check-in", arrival.check_in, name="check_in"),
    path("check-in/<str:code>/tiket", arrival.queue_ticket, name="queue_ticket"),
    path("loket", counter.counters, name="counters"),
    path("loket/<int:number>", counter.counter_page, name="counter"),
    path("loket/<int:number>/<str:action>", counter.counter_action, name="counter_action"),
    path("masukan", feedback.inbox, name="feedback"),
    path("masukan/<int:pk>", feedback.ticket_page, name="ticket"),
    path("masukan/<int:pk>/tindakan", feedback.ticket_action, name="ticket_action"),
    path("pengaturan", setup.settings_page, name="settings"),
    path("petugas", people.staff_page, name="staff"),
    path("petugas/<int:pk>/aktif", people.staff_active, name="staff_active"),
    path("statistik", numbers.statistics_page, name="statistics"),
    path("pola-mencurigakan", scalping.scalping_page, name="scalping"),
    path("audit", numbers.audit_page, name="audit"),
]
