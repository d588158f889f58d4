"""`/webhooks/whatsapp`: Meta's subscription handshake (GET) and signed updates (POST)."""

import hmac
import json
import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from antrean.whatsapp import ingest, signature

log = logging.getLogger(__name__)

# Meta's updates are a few kilobytes (at most a thousand or so small events). Anything
# bigger is refused before it is read, hashed or stored: Django's own limit
# (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB) would let it through to the drain.
MAX_BODY = 1024 * 1024


@csrf_exempt
def webhook(request):
    if request.method == "GET":
        return _handshake(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    declared = (request.META.get("CONTENT_LENGTH") or "0").strip()
    if not declared.isascii() or not declared.isdigit():
        return JsonResponse({"error": "invalid Content-Length"}, status=400)
    if len(declared) > 9 or int(declared) > MAX_BODY:  # int() refuses 4,300 digits
        return _too_large()
    body = request.body
    if len(body) > MAX_BODY:  # more than declared (a server that does not cut at it)
        return _too_large()
    header = request.headers.get("X-Hub-Signature-256", "")
    if not header:
        log.warning("webhook: unsigned POST refused")
        return JsonResponse({"error": "missing X-Hub-Signature-256"}, status=401)
    if not signature.verify(body, header, settings.WHATSAPP_APP_SECRET):
        log.warning("webhook: POST with a wrong signature refused")
        return JsonResponse({"error": "invalid signature"}, status=403)
    try:
        text = body.decode("utf-8")
        json.loads(text)
    except (ValueError, RecursionError):
        return JsonResponse({"error": "body is not JSON"}, status=400)
    try:
        ingest.store(text, timezone.now())
    except DatabaseError:
        # Not stored, so not acknowledged: Meta delivers it again later.
        log.exception("webhook: could not store the update")
        response = JsonResponse({"error": "temporarily unavailable"}, status=503)
        response["Retry-After"] = "30"
        return response
    log.debug("webhook: delivery stored (%d bytes)", len(body))  # its tally: the worker's
    return JsonResponse({"ok": True})


def _too_large():
    log.warning("webhook: POST over %d bytes refused", MAX_BODY)
    return JsonResponse({"error": f"body over {MAX_BODY} bytes"}, status=413)


def _handshake(request):
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    expected = settings.WHATSAPP_VERIFY_TOKEN
    if mode == "subscribe" and expected and hmac.compare_digest(token.encode(), expected.encode()):
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
    return HttpResponse("verification failed", status=403, content_type="text/plain")
