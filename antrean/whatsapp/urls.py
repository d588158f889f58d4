from django.urls import path

from antrean.whatsapp import views

urlpatterns = [path("webhooks/whatsapp", views.webhook, name="whatsapp-webhook")]
