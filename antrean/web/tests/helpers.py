"""Shared steps of the web booking tests: what a visitor does, and what WhatsApp received."""

from antrean.whatsapp.models import OutboundMessage


def sent_code(phone: str) -> str:
    """The one-time code we last sent to `phone` (as the authentication template)."""
    message = (
        OutboundMessage.objects.filter(contact__wa_id=phone, kind__contains="kode_verifikasi")
        .order_by("-pk")
        .first()
    )
    assert message is not None, f"no one-time code was sent to {phone}"
    return message.message["params"][0]


def messages_to(phone: str) -> list[dict]:
    return [m.message for m in OutboundMessage.objects.filter(contact__wa_id=phone).order_by("pk")]


def choose(client, office, service="baru") -> None:
    response = client.post("/pesan/", {"office": office.code, "service": service})
    assert response.status_code == 302, response.content.decode()[:2000]


def verify_phone(client, phone: str) -> None:
    response = client.post("/pesan/nomor", {"phone": phone})
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post("/pesan/verifikasi", {"code": sent_code(phone)})
    assert response.status_code == 302 and response["Location"] == "/pesan/data"


def applicant_fields(people) -> dict:
    """Form fields for [(name, nik, birth date)] in order."""
    fields = {"jumlah": str(len(people))}
    for place, (name, nik, birth) in enumerate(people, start=1):
        fields[f"p{place}_name"] = name
        fields[f"p{place}_nik"] = nik
        fields[f"p{place}_birth_date"] = birth.isoformat()
    return fields
