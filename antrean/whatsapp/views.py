"""`/webhooks/whatsapp`: Meta's subscription handshake (GET) and signed updates (POST)."""

import hmac
import json
import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from antrean.whatsapp import payloads, signature
from antrean.whatsapp.ingest import ingest

log = logging.getLogger(__name__)


@csrf_exempt
def webhook(request):
    if request.method == "GET":
        return _handshake(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    body = request.body
    header = request.headers.get("X-Hub-Signature-256", "")
    if not header:
        log.warning("webhook: unsigned POST refused")
        return JsonResponse({"error": "missing X-Hub-Signature-256"}, status=401)
    if not signature.verify(body, header, settings.WHATSAPP_APP_SECRET):
        log.warning("webhook: POST with a wrong signature refused")
        return JsonResponse({"error": "invalid signature"}, status=403)
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        return JsonResponse({"error": "body is not JSON"}, status=400)
    events = payloads.parse(envelope)
    try:
        result = ingest(events)
    except DatabaseError:
        # Not stored, so not acknowledged: Meta delivers it again later.
        log.exception("webhook: could not store the update")
        response = JsonResponse({"error": "temporarily unavailable"}, status=503)
        response["Retry-After"] = "30"
        return response
    # Every update at INFO would be hundreds of lines a second in a rush: the usual ones
    # are DEBUG, and what needs a look (re-deliveries, updates we do not handle) is INFO.
    log.log(
        logging.INFO if result.duplicates or result.ignored else logging.DEBUG,
        "webhook: %d stored, %d duplicate, %d status, %d ignored",
        result.stored,
        result.duplicates,
        result.statuses,
        result.ignored,
    )
    return JsonResponse({"ok": True})


def _handshake(request):
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    expected = settings.WHATSAPP_VERIFY_TOKEN
    if mode == "subscribe" and expected and hmac.compare_digest(token.encode(), expected.encode()):
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
    return HttpResponse("verification failed", status=403, content_type="text/plain")
