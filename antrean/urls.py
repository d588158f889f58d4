from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("antrean.whatsapp.urls")),
    path("", include("antrean.simulator.urls")),
    path("", include("antrean.web.urls")),
]
