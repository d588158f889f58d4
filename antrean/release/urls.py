from django.urls import path

from antrean.release import views

app_name = "release"

urlpatterns = [
    path("undian/", views.releases, name="list"),
    path("undian/<int:pk>", views.detail, name="detail"),
    path("undian/<int:pk>.json", views.detail_json, name="json"),
]
