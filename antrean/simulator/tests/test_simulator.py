"""The simulator's API and its Graph API stand-in, through Django's test client."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from antrean.simulator.models import SimMedia, SimMessage
from antrean.whatsapp import ingest, payloads
from antrean.whatsapp.models import InboundMessage
from antrean.whatsapp.signature import verify

pytestmark = pytest.mark.django_db
WA_ID = "6281234567890"


@pytest.fixture
def simulator(settings):
    settings.WHATSAPP_SIMULATOR = True
    settings.WHATSAPP_ACCESS_TOKEN = ""
    settings.WHATSAPP_APP_SECRET = "sim-secret"
    return settings


@pytest.fixture
def number(office):
    return office.numbers.get()


def compose(client, office_number, **fields):
    data = {"number": office_number.phone_number_id, "wa_id": WA_ID, **fields}
    return client.post("/simulator/api/compose", data)


def test_off_means_gone(client, settings, number):
    settings.WHATSAPP_SIMULATOR = False
    assert client.get("/simulator/").status_code == 404
    assert compose(client, number, kind="text", text="halo").status_code == 404
    assert client.post("/simulator/graph/v23.0/1/messages").status_code == 404


def test_only_this_machine_may_use_it_unless_made_public(client, simulator, number):
    remote = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/simulator/", **remote).status_code == 404
    assert client.post("/simulator/graph/v23.0/1/messages", **remote).status_code == 404
    simulator.WHATSAPP_SIMULATOR_PUBLIC = True
    assert client.get("/simulator/", **remote).status_code == 200


def test_the_page_lists_our_numbers(client, simulator, number):
    page = client.get("/simulator/").content.decode()
    assert number.phone_number_id in page and number.office.name in page


def test_compose_signs_a_cloud_api_body_the_webhook_accepts(client, simulator, number):
    signed = compose(client, number, kind="text", text="#Budi#25011987#10082027").json()
    body = signed["body"].encode()
    assert verify(body, signed["signature"], "sim-secret")
    (event,) = payloads.parse(json.loads(body))
    assert (event.kind, event.text, event.wa_id, event.phone_number_id) == (
        "text",
        "#Budi#25011987#10082027",
        WA_ID,
        number.phone_number_id,
    )
    response = client.post(
        "/webhooks/whatsapp",
        data=body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signed["signature"],
    )
    assert response.status_code == 200
    ingest.drain()  # the worker's first step
    assert InboundMessage.objects.get().wamid == event.wamid


def test_compose_button_replies_and_photos(client, simulator, number):
    tapped = json.loads(
        compose(
            client, number, kind="button_reply", reply_id="confirm:ABCD2345", title="Konfirmasi"
        ).json()["body"]
    )
    (event,) = payloads.parse(tapped)
    assert (event.kind, event.reply_id) == ("button_reply", "confirm:ABCD2345")
    photo = SimpleUploadedFile("ktp.jpg", b"\xff\xd8 jpeg", content_type="image/jpeg")
    sent = json.loads(compose(client, number, kind="image", file=photo).json()["body"])
    (event,) = payloads.parse(sent)
    assert SimMedia.objects.get(media_id=event.media_id).content == b"\xff\xd8 jpeg"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"number": "nope", "kind": "text", "text": "x"}, "Pilih nomor kantor"),
        ({"wa_id": "12", "kind": "text", "text": "x"}, "tidak dikenali"),
        ({"kind": "text", "text": "  "}, "kosong"),
        ({"kind": "image"}, "Pilih foto"),
        ({"kind": "rocket"}, "tidak dikenal"),
    ],
)
def test_compose_mistakes_are_explained(client, simulator, number, fields, message):
    response = compose(client, number, **fields)
    assert response.status_code == 400
    assert message in response.json()["error"]


def graph_post(client, path, body, token="simulator"):
    return client.post(
        f"/simulator/graph/v23.0/{path}",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_the_graph_stand_in_wants_the_token(client, simulator, number):
    body = {"messaging_product": "whatsapp", "to": WA_ID, "type": "text", "text": {"body": "x"}}
    response = graph_post(client, f"{number.phone_number_id}/messages", body, token="wrong")
    assert response.status_code == 401 and response.json()["error"]["code"] == 190


def test_the_graph_stand_in_keeps_what_we_send(client, simulator, number):
    body = {
        "messaging_product": "whatsapp",
        "to": WA_ID,
        "type": "interactive",
        "biz_opaque_callback_data": "out:5",
        "interactive": {
            "type": "button",
            "body": {"text": "Konfirmasi?"},
            "action": {
                "buttons": [{"type": "reply", "reply": {"id": "confirm:X", "title": "Konfirmasi"}}]
            },
        },
    }
    response = graph_post(client, f"{number.phone_number_id}/messages", body)
    wamid = response.json()["messages"][0]["id"]
    shown = client.get(
        "/simulator/api/chat", {"number": number.phone_number_id, "wa_id": WA_ID}
    ).json()
    (message,) = shown["messages"]
    assert message["text"] == "Konfirmasi?"
    assert message["buttons"] == [{"id": "confirm:X", "title": "Konfirmasi"}]
    assert SimMessage.objects.get().wamid == wamid


@pytest.mark.parametrize(
    "body",
    [
        {"to": WA_ID, "type": "text", "text": {"body": "x"}},
        {"messaging_product": "whatsapp", "to": "abc", "type": "text", "text": {"body": "x"}},
        {"messaging_product": "whatsapp", "to": WA_ID, "type": "sticker", "sticker": {}},
        {"messaging_product": "whatsapp", "to": WA_ID, "type": "image", "image": {"id": "nope"}},
    ],
)
def test_the_graph_stand_in_refuses_what_meta_would(client, simulator, number, body):
    response = graph_post(client, f"{number.phone_number_id}/messages", body)
    assert response.status_code == 400 and "error" in response.json()


def test_media_upload_lookup_and_download(client, simulator, number):
    upload = SimpleUploadedFile("qr.png", b"\x89PNG data", content_type="image/png")
    media_id = client.post(
        f"/simulator/graph/v23.0/{number.phone_number_id}/media",
        {"messaging_product": "whatsapp", "type": "image/png", "file": upload},
        HTTP_AUTHORIZATION="Bearer simulator",
    ).json()["id"]
    info = client.get(
        f"/simulator/graph/v23.0/{media_id}", HTTP_AUTHORIZATION="Bearer simulator"
    ).json()
    assert info["mime_type"] == "image/png" and info["file_size"] == len(b"\x89PNG data")
    download = client.get(info["url"], HTTP_AUTHORIZATION="Bearer simulator")
    assert download.content == b"\x89PNG data"
    assert client.get(info["url"]).status_code == 401


def test_receipts_move_forward_once(client, simulator, number):
    body = {
        "messaging_product": "whatsapp",
        "to": WA_ID,
        "type": "text",
        "text": {"body": "x"},
        "biz_opaque_callback_data": "out:3",
    }
    graph_post(client, f"{number.phone_number_id}/messages", body)
    message = SimMessage.objects.get()
    read = client.post("/simulator/api/receipt", {"id": message.pk, "status": "read"}).json()
    (event,) = payloads.parse(json.loads(read["body"]))
    assert (event.status, event.opaque, event.wamid) == ("read", "out:3", message.wamid)
    again = client.post("/simulator/api/receipt", {"id": message.pk, "status": "delivered"}).json()
    assert again["body"] is None


def test_a_templates_quick_replies_are_tappable_buttons():
    from antrean.simulator.models import SimMessage
    from antrean.simulator.views import _render
    from antrean.whatsapp.messages import Template, cloud_body

    reminder = Template(
        "antrean_pengingat", "id", ("Budi", "Selasa"), quick_replies=("confirm:AB", "cancel:AB")
    )
    message = SimMessage(direction=SimMessage.OUT, body=cloud_body(reminder, "62812"))
    shown = _render(message)
    assert shown["text"] == "[template antrean_pengingat] Budi · Selasa"
    assert shown["buttons"] == [
        {"id": "confirm:AB", "title": "confirm"},
        {"id": "cancel:AB", "title": "cancel"},
    ]
