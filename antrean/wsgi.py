import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from antrean.lib.lifetime import freeze_loaded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antrean.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (the views imported now, not by a first request)
freeze_loaded()  # all of it lives as long as the process
