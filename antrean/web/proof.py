"""The booking proof: what it says (shared by the page and the PDF), its QR code, its PDF.

The QR code holds only the booking code, which the officer's check-in page reads. The
proof names each applicant with the NIK masked: a printout travels further than a screen.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import segno
from django.conf import settings
from django.urls import reverse

from antrean.booking.actions import local_start
from antrean.booking.models import Booking
from antrean.booking.rules import is_child
from antrean.content import text
from antrean.content.dates import format_date, format_time, zone_name
from antrean.lib.pdf import Document, text_width
from antrean.offices.schedules import schedule_for
from antrean.web.payment import Bill, bill_of


@dataclass(frozen=True)
class ProofPerson:
    place: int
    name: str
    nik: str  # masked
    child: bool
    requirements: tuple[str, ...]


@dataclass(frozen=True)
class Proof:
    code: str
    queue_number: str
    status: str
    office: str
    address: str
    service: str
    visit_date: date
    start: time
    arrive_by: datetime
    zone: str
    people: tuple[ProofPerson, ...]
    bill: Bill | None = None  # the PNBP fee, where the office takes it before the visit
    pay_url: str = ""  # the demo's payment page, while the bill is unpaid


def mask_nik(nik: str | None) -> str:
    """`3171 01•• •••• 0001`: the region and serial stay, the birth date does not."""
    if not nik:
        return "-"
    return f"{nik[:4]} {nik[4:6]}•• •••• {nik[12:]}"


def requirements(birth: date, visit: date, old_passport: bool, lang: str) -> tuple[str, ...]:
    key = "requirements.child" if is_child(birth, visit) else "requirements.adult"
    lines = text(key, lang).splitlines()
    if old_passport:
        lines += text("requirements.old_passport", lang).splitlines()
    return tuple(line.removeprefix("• ").strip() for line in lines if line.strip())


def build(booking: Booking, lang: str) -> Proof:
    office, service = booking.office, booking.service
    start = local_start(booking)
    schedule = schedule_for(office, booking.slot_at)
    bill = bill_of(booking, lang)
    return Proof(
        code=booking.code,
        queue_number=booking.queue_number or "-",
        status=booking.status,
        office=office.name,
        address=office.address,
        service=service.name(lang),
        visit_date=booking.visit_date,
        start=start,
        arrive_by=schedule.arrival_deadline(booking.visit_date, start).astimezone(
            ZoneInfo(office.timezone)
        ),
        zone=zone_name(office.timezone),
        people=tuple(
            ProofPerson(
                place=person.position,
                name=person.name,
                nik=mask_nik(person.nik),
                child=is_child(person.birth_date, booking.visit_date),
                requirements=requirements(
                    person.birth_date, booking.visit_date, service.needs_old_passport, lang
                ),
            )
            for person in booking.people.all()  # every booking has its booker, at least
        ),
        bill=bill,
        pay_url=(
            reverse("web:pay_simulator", args=[bill.billing_code])
            if bill and bill.state == "unpaid" and settings.PAYMENT_SIMULATOR
            else ""
        ),
    )


def qr_svg(code: str) -> str:
    return segno.make(code, error="m", micro=False).svg_inline(
        scale=6, border=4, omitsize=True, svgclass="qr", title=code
    )


# --- PDF ---------------------------------------------------------------------------------
LEFT, RIGHT, BOTTOM = 18, 192, 280


def pdf(proof: Proof, lang: str) -> bytes:
    t = lambda key, **kw: text(f"web.proof.{key}", lang, **kw)  # noqa: E731
    doc = Document(title=t("title") + f" {proof.code}", lang=lang)
    page = doc.add_page()
    page.text(LEFT, 22, t("title"), size=16, bold=True)
    page.text(LEFT, 29, proof.office, size=11)
    y = 34.0
    if proof.address:
        y = page.paragraph(LEFT, y, 120, proof.address, size=9)
    qr = segno.make(proof.code, error="m", micro=False)
    module = 42 / (len(qr.matrix) + 8)
    page.squares(RIGHT - 42 + 4 * module, 14 + 4 * module, module, qr.matrix)

    y = max(y, 44.0)
    rows = [
        (t("code"), proof.code),
        (t("queue_number"), proof.queue_number),
        (t("appointment"), when(proof, lang)),
        (t("arrive_by"), f"{format_time(proof.arrive_by.time(), lang)} {proof.zone}"),
        (t("service"), proof.service),
        (t("status"), text(f"status.{proof.status}", lang)),
        *bill_rows(proof.bill, lang),
    ]
    for label, value in rows:
        page.text(LEFT, y, label, size=10)
        big = label in (t("code"), t("queue_number"))
        page.text(LEFT + 48, y + (1 if big else 0), value, size=16 if big else 11, bold=big)
        y += 9 if big else 6.5
    y = page.paragraph(LEFT, y + 2, RIGHT - LEFT, t("arrival_rule"), size=9.5) + 2
    if proof.bill and proof.bill.state == "unpaid":
        how = text("web.pay.how", lang, due=proof.bill.due)
        y = page.paragraph(LEFT, y, RIGHT - LEFT, how, size=9.5) + 2

    for person in proof.people:
        needed = 14 + 5.2 * len(person.requirements)
        if y + needed > BOTTOM:
            page = doc.add_page()
            y = 22.0
        page.line(LEFT, y - 4, RIGHT, y - 4)
        kind = t("child") if person.child else t("adult")
        page.text(LEFT, y + 1, f"{t('applicant', place=person.place)}: {person.name}", bold=True)
        page.text(LEFT, y + 6.5, f"NIK {person.nik} · {kind}", size=9)
        y += 12.5
        for line in person.requirements:
            page.rect(LEFT + 2, y - 3, 3.2, 3.2, fill=False)  # a box to tick
            y = page.paragraph(LEFT + 8, y, RIGHT - LEFT - 8, line, size=9.5) + 0.6
        y += 5
    footer = t("footer")
    page.text(RIGHT - text_width(footer, size=8), 290, footer, size=8)
    return doc.render()


def bill_rows(bill: Bill | None, lang: str) -> list[tuple[str, str]]:
    if bill is None:
        return []
    state = text(f"web.pay.state_{bill.state}", lang)
    rows = [(text("web.pay.bill", lang), f"{bill.amount} · {state}")]
    if bill.state == "unpaid":
        rows += [
            (text("web.pay.billing_code", lang), bill.billing_code),
            (text("web.pay.due", lang), bill.due),
        ]
    return rows


def when(proof: Proof, lang: str) -> str:
    word = "pukul" if lang == "id" else "at"
    return (
        f"{format_date(proof.visit_date, lang)} {word} "
        f"{format_time(proof.start, lang)} {proof.zone}"
    )
