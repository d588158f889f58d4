"""The simulator's page, its small JSON API, and its stand-in for Meta's Graph API."""

import hashlib
import ipaddress
import json
import secrets
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from antrean.booking.errors import InvalidPhone
from antrean.booking.phone import normalize_phone
from antrean.offices.models import WhatsAppNumber
from antrean.simulator import cloud
from antrean.simulator.models import SimMedia, SimMessage
from antrean.whatsapp.signature import sign

MAX_UPLOAD = 5 * 1024 * 1024  # WhatsApp's limit for images
RECEIPTS = ["delivered", "read"]


def simulator_only(view):
    """404 unless the simulator is on, and (unless WHATSAPP_SIMULATOR_PUBLIC) the request
    comes from this machine: the simulator can speak as any number, so a server left without
    an access token must not expose it to the internet."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.WHATSAPP_SIMULATOR:
            raise Http404("the WhatsApp simulator is off")
        if not settings.WHATSAPP_SIMULATOR_PUBLIC and not _from_this_machine(request):
            raise Http404("the WhatsApp simulator answers this machine only")
        return view(request, *args, **kwargs)

    return wrapper


def _from_this_machine(request) -> bool:
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _signed(body: dict) -> JsonResponse:
    raw = cloud.dumps(body)
    return JsonResponse(
        {"body": raw.decode(), "signature": sign(raw, settings.WHATSAPP_APP_SECRET)}
    )


def _problem(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


# --- The page and its API -----------------------------------------------------------------
@simulator_only
@require_GET
@ensure_csrf_cookie
def page(request):
    numbers = WhatsAppNumber.objects.select_related("office").order_by("office__name", "id")
    return render(request, "simulator/page.html", {"numbers": numbers})


@simulator_only
@require_POST
def compose(request):
    """Build a signed webhook body for what the simulated person sends; the page posts it."""
    number = WhatsAppNumber.objects.filter(phone_number_id=request.POST.get("number")).first()
    if number is None:
        return _problem("Pilih nomor kantor imigrasi terlebih dahulu.")
    try:
        wa_id = normalize_phone(request.POST.get("wa_id", ""))
    except InvalidPhone:
        return _problem("Nomor WhatsApp pemohon tidak dikenali; contoh 0812 3456 7890.")
    kind = request.POST.get("kind", "text")
    fields = {"wa_id": wa_id, "kind": kind}
    if kind == "text":
        fields["text"] = request.POST.get("text", "")
        if not fields["text"].strip():
            return _problem("Pesan masih kosong.")
    elif kind in ("button_reply", "list_reply"):
        fields["reply_id"] = request.POST.get("reply_id", "")
        fields["text"] = request.POST.get("title", "")
    elif kind in ("image", "document"):
        upload = request.FILES.get("file")
        if upload is None or upload.size > MAX_UPLOAD:
            return _problem("Pilih foto atau berkas sampai 5 MB.")
        media = SimMedia.objects.create(
            media_id=_new_media_id(),
            mime_type=upload.content_type or "application/octet-stream",
            content=upload.read(),
        )
        fields |= {"media_id": media.media_id, "mime_type": media.mime_type}
    elif kind not in ("location", "sticker", "audio"):
        return _problem(f"Jenis pesan {kind!r} tidak dikenal simulator.")
    message = cloud.inbound_message(**fields)
    SimMessage.objects.create(
        phone_number_id=number.phone_number_id,
        wa_id=wa_id,
        direction=SimMessage.IN,
        wamid=message["id"],
        body=message,
    )
    profile = request.POST.get("name", "") or "Pemohon Simulator"
    return _signed(
        cloud.message_envelope(
            number.phone_number_id, _digits(number.display_phone_number), message, profile
        )
    )


@simulator_only
@require_GET
def chat(request):
    """The conversation of one simulated phone with one office number, after `after`."""
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        after = 0
    found = SimMessage.objects.filter(
        phone_number_id=request.GET.get("number", ""),
        wa_id=request.GET.get("wa_id", ""),
        pk__gt=after,
    ).order_by("id")[:200]
    return JsonResponse({"messages": [_render(message) for message in found]})


@simulator_only
@require_POST
def receipt(request):
    """A signed status webhook (delivered, read) for a reply the phone has shown."""
    message = get_object_or_404(SimMessage, pk=request.POST.get("id"), direction=SimMessage.OUT)
    status = request.POST.get("status", "")
    if status not in RECEIPTS:
        return _problem("status must be delivered or read")
    if message.receipt and RECEIPTS.index(message.receipt) >= RECEIPTS.index(status):
        return JsonResponse({"body": None})
    message.receipt = status
    message.save(update_fields=["receipt"])
    number = WhatsAppNumber.objects.filter(phone_number_id=message.phone_number_id).first()
    display = _digits(number.display_phone_number) if number else ""
    return _signed(
        cloud.status_envelope(
            message.phone_number_id,
            display,
            wamid=message.wamid,
            status=status,
            recipient=message.wa_id,
            opaque=message.body.get("biz_opaque_callback_data", ""),
        )
    )


@simulator_only
@require_GET
def page_media(request, media_id: str):
    """An image for the page to show (the Graph API's own download needs a token)."""
    media = get_object_or_404(SimMedia, media_id=media_id)
    return HttpResponse(bytes(media.content), content_type=media.mime_type)


def _render(message: SimMessage) -> dict:
    body = message.body
    kind = body.get("type", "")
    shown = {"id": message.pk, "direction": message.direction, "kind": kind, "text": ""}
    if kind == "text":
        shown["text"] = body["text"]["body"]
    elif kind == "interactive":
        interactive = body["interactive"]
        sub = interactive.get("type")
        shown["text"] = interactive.get("body", {}).get("text", "")
        if message.direction == SimMessage.IN:
            shown["text"] = interactive.get(sub, {}).get("title", "")
        elif sub == "button":
            shown["buttons"] = [b["reply"] for b in interactive["action"]["buttons"]]
        elif sub == "list":
            shown["list"] = interactive["action"]
    elif kind in ("image", "document"):
        media = body[kind]
        shown["image"] = reverse("simulator-page-media", args=[media.get("id", "")])
        shown["text"] = media.get("caption", "")
    elif kind == "template":
        template = body["template"]
        components = template.get("components", [])
        params = [
            p.get("text", "")
            for component in components
            if component.get("sub_type") != "quick_reply"
            for p in component.get("parameters", [])
        ]
        shown["text"] = f"[template {template['name']}] " + " · ".join(params)
        # Quick replies are tappable, as on a phone; their titles live in WhatsApp
        # Manager, so the payload's action stands in for them.
        replies = [
            p.get("payload", "")
            for component in components
            if component.get("sub_type") == "quick_reply"
            for p in component.get("parameters", [])
        ]
        if replies:
            shown["buttons"] = [{"id": r, "title": r.split(":")[0]} for r in replies]
    else:
        shown["text"] = f"[{kind}]"
    return shown


def _new_media_id() -> str:
    """Numeric, like Meta's media ids."""
    return str(10**15 + secrets.randbelow(9 * 10**15))


def _digits(display: str) -> str:
    return "".join(ch for ch in display if ch.isdigit())


# --- The Graph API stand-in ---------------------------------------------------------------
def _graph_error(status: int, code: int, message: str) -> JsonResponse:
    error = {
        "message": f"(#{code}) {message}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": message},
        "fbtrace_id": "Simulator",
    }
    return JsonResponse({"error": error}, status=status)


def graph_api(view):
    @wraps(view)
    @csrf_exempt
    @simulator_only
    def wrapper(request, *args, **kwargs):
        token = settings.WHATSAPP_ACCESS_TOKEN or "simulator"
        if request.headers.get("Authorization") != f"Bearer {token}":
            return _graph_error(401, 190, "Invalid OAuth access token")
        return view(request, *args, **kwargs)

    return wrapper


SENDABLE = {"text", "interactive", "image", "template"}


@graph_api
@require_POST
def graph_messages(request, version: str, node: str):
    try:
        body = json.loads(request.body)
    except ValueError:
        return _graph_error(400, 100, "Invalid JSON")
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        return _graph_error(400, 100, "Invalid parameter: messaging_product")
    to, kind = str(body.get("to", "")), body.get("type")
    if not to.isdigit() or kind not in SENDABLE or not isinstance(body.get(kind), dict):
        return _graph_error(400, 100, "Invalid parameter")
    if kind == "image" and not SimMedia.objects.filter(media_id=body["image"].get("id")).exists():
        return _graph_error(400, 131053, "Media upload error")
    wamid = cloud.new_wamid("SIMOUT")
    SimMessage.objects.create(
        phone_number_id=node, wa_id=to, direction=SimMessage.OUT, wamid=wamid, body=body
    )
    return JsonResponse(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }
    )


@graph_api
@require_POST
def graph_media(request, version: str, node: str):
    upload = request.FILES.get("file")
    if upload is None or request.POST.get("messaging_product") != "whatsapp":
        return _graph_error(400, 100, "Invalid parameter: file")
    media = SimMedia.objects.create(
        media_id=_new_media_id(),
        mime_type=request.POST.get("type") or upload.content_type,
        content=upload.read(),
    )
    return JsonResponse({"id": media.media_id})


@graph_api
@require_http_methods(["GET"])
def graph_node(request, version: str, node: str):
    media = SimMedia.objects.filter(media_id=node).first()
    if media is None:
        return _graph_error(404, 100, "Unsupported get request")
    content = bytes(media.content)
    return JsonResponse(
        {
            "messaging_product": "whatsapp",
            "url": request.build_absolute_uri(reverse("simulator-file", args=[node])),
            "mime_type": media.mime_type,
            "sha256": hashlib.sha256(content).hexdigest(),
            "file_size": len(content),
            "id": node,
        }
    )


@graph_api
@require_GET
def graph_file(request, media_id: str):
    media = get_object_or_404(SimMedia, media_id=media_id)
    return HttpResponse(bytes(media.content), content_type=media.mime_type)
