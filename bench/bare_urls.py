"""One view answering "ok": what Django itself costs per request (bench/bare_settings.py).

It takes the same signed POST as the webhook (hence csrf_exempt, like the webhook) and
reads its body, but neither checks nor stores it.
"""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request):
    request.body  # noqa: B018 (read it, as the webhook does)
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bare", bare)]
