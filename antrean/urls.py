from django.contrib import admin
from django.urls import include, path

from antrean.backoffice.views import board

urlpatterns = [
    path("admin/", admin.site.urls),
    path("kantor/", include("antrean.backoffice.urls")),
    path("papan/<slug:office_code>", board.board, name="board"),
    path("", include("antrean.whatsapp.urls")),
    path("", include("antrean.simulator.urls")),
    path("", include("antrean.web.urls")),
    path("", include("antrean.release.urls")),
]
