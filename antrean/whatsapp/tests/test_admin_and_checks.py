import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone

from antrean.whatsapp.models import InboundMessage, OutboundMessage

pytestmark = pytest.mark.django_db


def test_officers_see_failed_deliveries_with_meta_codes_but_not_contents(client, contact):
    now = timezone.now()
    OutboundMessage.objects.create(
        contact=contact,
        message={"kind": "Text", "body": "Tanggal lahir 25 Januari 1987"},
        kind="text",
        state="failed",
        created_at=now,
        not_before=now,
        give_up_at=now,
        error_code=131026,
        error_title="Message undeliverable",
    )
    InboundMessage.objects.create(
        contact=contact,
        wamid="wamid.X",
        kind="text",
        sent_at=now,
        received_at=now,
        payload={"text": {"body": "#Budi#25011987#10082027"}},
        state="failed",
        attempts=3,
        error="processing failed",
    )
    user = get_user_model().objects.create_superuser("hq", "hq@example.invalid", "x-Rahasia-1")
    client.force_login(user)
    outbound = client.get("/admin/whatsapp/outboundmessage/").content.decode()
    assert "131026" in outbound and "Message undeliverable" in outbound
    assert "1987" not in outbound
    inbound = client.get("/admin/whatsapp/inboundmessage/").content.decode()
    assert "processing failed" in inbound and "25011987" not in inbound
    row = OutboundMessage.objects.get()
    assert client.post(f"/admin/whatsapp/outboundmessage/{row.pk}/delete/").status_code == 403


def test_a_real_deployment_needs_its_whatsapp_secrets(settings):
    settings.WHATSAPP_SIMULATOR = False
    settings.WHATSAPP_ACCESS_TOKEN = "token"
    settings.WHATSAPP_APP_SECRET = ""
    settings.WHATSAPP_VERIFY_TOKEN = ""
    with pytest.raises(SystemCheckError, match="WHATSAPP_APP_SECRET is not set"):
        call_command("check")
    settings.WHATSAPP_APP_SECRET = "s"
    settings.WHATSAPP_VERIFY_TOKEN = "v"
    call_command("check")
