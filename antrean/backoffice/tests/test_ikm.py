"""The satisfaction index (IKM) per month: the regulation's arithmetic, months in the
office's own zone, and the statistics page and its CSV."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from antrean.backoffice.statistics import category, ikm
from antrean.feedback.models import Survey

from conftest import WIB, WIT

pytestmark = pytest.mark.django_db

AUGUST, SEPTEMBER = datetime.date(2027, 8, 1), datetime.date(2027, 9, 1)


@pytest.fixture
def answered(book):
    """A survey answer with these scores, at `at`, for a booking of `office`."""

    def make(scores, at, office=None):
        booking = book(**({} if office is None else {"office": office})).booking
        fields = {f"u{n}": score for n, score in enumerate(scores, 1)}
        return Survey.objects.create(
            office=booking.office, booking=booking, answered_at=at, comment="", **fields
        )

    return make


def on(day, hour=10):
    return datetime.datetime(2027, 8, day, hour, tzinfo=WIB)


def test_the_index_is_the_mean_score_times_25_with_its_category(office, answered):
    answered([4] * 9, on(10))
    answered([3] * 9, on(11))
    answered([4] * 8 + [1], on(12))
    (august,) = ikm(office, datetime.date(2027, 8, 10), datetime.date(2027, 8, 20))
    assert (august.month, august.responses) == (AUGUST, 3)
    # u1..u8: (4 + 3 + 4) / 3 = 3.666.. ; u9: (4 + 3 + 1) / 3 = 2.666..
    assert august.means == [Decimal("3.67")] * 8 + [Decimal("2.67")]
    # (36 + 27 + 33) / 27 answers × 25 = 88.888..: just above A's lowest 88.31
    assert august.index == Decimal("88.89")
    assert august.category == ("A", "Sangat Baik")


@pytest.mark.parametrize(
    ("answers", "index", "expected"),
    [
        ([[4] * 9, [3] * 9], "87.50", ("B", "Baik")),
        ([[3] * 8 + [2]], "72.22", ("C", "Kurang Baik")),
        ([[2] * 9], "50.00", ("D", "Tidak Baik")),
        ([[1] * 9], "25.00", ("D", "Tidak Baik")),
        ([[4] * 9], "100.00", ("A", "Sangat Baik")),
    ],
)
def test_known_answers_give_a_known_index(office, answered, answers, index, expected):
    for scores in answers:
        answered(scores, on(10))
    (august,) = ikm(office, AUGUST, AUGUST)
    assert (august.index, august.category) == (Decimal(index), expected)


@pytest.mark.parametrize(
    ("index", "letter"),
    [("100.00", "A"), ("88.31", "A"), ("88.30", "B"), ("76.61", "B"), ("76.60", "C"),
     ("65.00", "C"), ("64.99", "D"), ("25.00", "D")],
)  # fmt: skip
def test_the_category_intervals_of_the_regulation(index, letter):
    assert category(Decimal(index))[0] == letter


def test_whole_months_that_overlap_the_range_and_empty_ones(office, answered):
    answered([4] * 9, on(2))  # before the range, but in its first month
    answered([2] * 9, datetime.datetime(2027, 10, 1, 0, 30, tzinfo=WIB))  # after its last
    august, september = ikm(office, datetime.date(2027, 8, 15), datetime.date(2027, 9, 5))
    assert (august.month, august.responses, august.index) == (AUGUST, 1, Decimal("100.00"))
    assert (september.month, september.responses) == (SEPTEMBER, 0)
    assert september.index is None and september.category is None
    assert september.means == [None] * 9


def test_months_are_the_offices_own(make_office, answered):
    """23.30 WIB on 31 August is 01.30 on 1 September in Jayapura (WIT)."""
    late = datetime.datetime(2027, 8, 31, 23, 30, tzinfo=WIB)
    assert late.astimezone(WIT).date() == datetime.date(2027, 9, 1)
    jayapura = make_office(timezone="Asia/Jayapura")
    jakarta = make_office(timezone="Asia/Jakarta")
    answered([4] * 9, late, office=jayapura)
    answered([4] * 9, late, office=jakarta)
    wit_august, wit_september = ikm(jayapura, AUGUST, SEPTEMBER)
    assert (wit_august.responses, wit_september.responses) == (0, 1)
    wib_august, wib_september = ikm(jakarta, AUGUST, SEPTEMBER)
    assert (wib_august.responses, wib_september.responses) == (1, 0)


def test_the_statistics_page_and_csv_show_the_index(as_user, office, other_office, answered):
    answered([4] * 9, on(10))
    answered([3] * 9, on(11))
    answered([4] * 8 + [1], on(12))
    answered([1] * 9, on(12), office=other_office)  # another office's answer is not counted
    client = as_user("supervisor")
    query = {"from": "2027-08-01", "to": "2027-09-10"}
    page = client.get(reverse("backoffice:statistics"), query).content.decode()
    assert "Belum tersedia" not in page
    assert "Agustus 2027" in page and "September 2027" in page
    assert "<strong>88,89</strong>" in page and "A (Sangat Baik)" in page
    assert page.count("3,67") == 8 and "2,67" in page
    assert "belum ada jawaban" in page  # September
    assert 'title="Penanganan pengaduan, saran dan masukan">U8<' in page
    response = client.get(reverse("backoffice:statistics"), query | {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header = rows.index(
        ["bulan", "responden", "u1_persyaratan", "u2_prosedur", "u3_waktu", "u4_biaya",
         "u5_produk", "u6_kompetensi", "u7_perilaku", "u8_pengaduan", "u9_sarana", "ikm",
         "mutu_pelayanan", "kinerja"]
    )  # fmt: skip
    assert rows[header + 1] == ["2027-08", "3", *["3.67"] * 8, "2.67", "88.89", "A", "Sangat Baik"]
    assert rows[header + 2] == ["2027-09", "0", *[""] * 9, "", "", ""]
