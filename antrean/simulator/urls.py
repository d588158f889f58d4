from django.urls import path

from antrean.simulator import views

urlpatterns = [
    path("simulator/", views.page, name="simulator"),
    path("simulator/api/compose", views.compose, name="simulator-compose"),
    path("simulator/api/chat", views.chat, name="simulator-chat"),
    path("simulator/api/receipt", views.receipt, name="simulator-receipt"),
    path("simulator/media/<str:media_id>", views.page_media, name="simulator-page-media"),
    # The Graph API stand-in: WHATSAPP_API_URL points here in simulator mode.
    path("simulator/files/<str:media_id>", views.graph_file, name="simulator-file"),
    path("simulator/graph/<str:version>/<str:node>/messages", views.graph_messages),
    path("simulator/graph/<str:version>/<str:node>/media", views.graph_media),
    path("simulator/graph/<str:version>/<str:node>", views.graph_node),
]
