"""The PDF writer, checked by reading its output back with pypdf. No database, no Django."""

import io
import itertools
import re
import zlib

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from pypdf.generic import ContentStream

from antrean.lib.pdf import PT_PER_MM, Document, text_width, wrap

LOREM = (
    "Bapak/Ibu dimohon hadir di Kantor Imigrasi Kelas I Khusus TPI Jakarta Selatan pada "
    "hari Senin, 9 Agustus 2027, pukul 08.00–09.00 WIB, membawa KTP-el asli, Kartu Keluarga "
    "dan paspor lama. Pemohon yang terlambat lebih dari 30 menit harus memesan jadwal baru."
)


def read(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data), strict=True)


def one_page(*texts: str) -> bytes:
    doc = Document(title="Bukti pemesanan ABC123")
    page = doc.add_page()
    for index, text in enumerate(texts):
        page.text(20, 20 + 10 * index, text)
    return doc.render()


def operators(reader: PdfReader, page: int = 0) -> list[bytes]:
    content = ContentStream(reader.pages[page].get_contents(), reader)
    return [operator for _, operator in content.operations]


def test_a4_pages_title_and_language():
    doc = Document(title="Bukti pemesanan ABC123", lang="id")
    doc.add_page().text(20, 20, "Halaman satu")
    doc.add_page().text(20, 20, "Halaman dua", bold=True)
    reader = read(doc.render())

    assert len(reader.pages) == 2
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(595.28, abs=0.01)
        assert float(page.mediabox.height) == pytest.approx(841.89, abs=0.01)
    assert "Halaman satu" in reader.pages[0].extract_text()
    assert "Halaman dua" in reader.pages[1].extract_text()
    assert reader.metadata.title == "Bukti pemesanan ABC123"
    assert reader.trailer["/Root"]["/Lang"] == "id"


def test_a_title_outside_ascii_survives():
    doc = Document(title="Bukti – Nguyễn ✓ 中文")
    doc.add_page()
    assert read(doc.render()).metadata.title == "Bukti – Nguyễn ✓ 中文"
    lone_surrogate = Document(title="Bukti \ud800")
    lone_surrogate.add_page()
    assert read(lone_surrogate.render()).metadata.title == "Bukti ?"


def test_indonesian_text_reads_back():
    texts = [
        "Kode booking: ABC123",
        "Bapak/Ibu Siti Rahmawati",
        "pukul 08.00–09.00 WIB — harap tepat waktu",
        "Jum’at, 13 Agustus 2027",
        "Café Ñandú über",
    ]
    extracted = read(one_page(*texts)).pages[0].extract_text()
    for text in texts:
        assert text in extracted


@pytest.mark.parametrize(
    "text", [r"C:\antrean\bukti (salinan).pdf", "a ) b ( c", "(", "\\", r"\(\)", "((x)))"]
)
def test_parentheses_and_backslashes_are_escaped(text):
    reader = read(one_page(text))
    assert text in reader.pages[0].extract_text()


@pytest.mark.parametrize(
    ("text", "printed"),
    [("Lunas ✓", "Lunas ?"), ("北京 office", "?? office"), ("emoji 🙂!", "emoji ?!")],
)
def test_characters_outside_windows_1252_become_question_marks(text, printed):
    assert printed in read(one_page(text)).pages[0].extract_text()


def test_close_substitutes_before_question_marks():
    # Accents cp1252 lacks fall back to the letter, an "e" + combining accent is one "é".
    extracted = read(one_page("Nguyễn Thị", "Café", "−5 ‑ x")).pages[0].extract_text()
    assert "Nguyen Thi" in extracted
    assert "Café" in extracted
    assert "-5 - x" in extracted


def test_text_width_uses_helvetica_metrics():
    # a, b, c are 556, 556 and 500 thousandths of the size in Helvetica.
    assert text_width("abc", size=10) == pytest.approx(16.12 / PT_PER_MM)
    # Bold b and c are wider: 611 and 556.
    assert text_width("abc", size=10, bold=True) == pytest.approx(17.23 / PT_PER_MM)
    assert text_width("", size=10) == 0
    assert text_width("W" * 10, size=20) == 2 * text_width("W" * 10, size=10)
    # What is printed is measured: "✓" prints as "?", 556 wide.
    assert text_width("✓") == text_width("?")
    # Windows-1252 beyond ASCII has its own widths: the en dash is 556, the bullet 350.
    assert text_width("–") == pytest.approx(5.56 / PT_PER_MM)
    assert text_width("•") == pytest.approx(3.5 / PT_PER_MM)


def test_wrap_keeps_every_line_within_the_width():
    for width, size, bold in [(170, 10, False), (80, 11, True), (40, 9, False)]:
        lines = wrap(LOREM, width, size, bold)
        assert len(lines) > 1
        assert all(text_width(line, size, bold) <= width for line in lines)
        assert " ".join(lines) == LOREM
        # Greedy: the next line's first word did not fit on this one.
        for line, following in itertools.pairwise(lines):
            longer = f"{line} {following.split(' ')[0]}"
            assert text_width(longer, size, bold) > width


def test_wrap_honours_newlines_and_blank_lines():
    assert wrap("Nama: Siti\nKode: ABC123", 170, 10) == ["Nama: Siti", "Kode: ABC123"]
    assert wrap("satu\r\n\r\ndua\rtiga", 170, 10) == ["satu", "", "dua", "tiga"]
    assert wrap("  banyak    spasi\tdi sini ", 170, 10) == ["banyak spasi di sini"]
    assert wrap("", 170, 10) == []


def test_wrap_keeps_no_break_spaces_together():
    lines = wrap("jam 08.00\u00a0WIB " * 6, 40, 10)
    assert all(line.count("08.00") == line.count("\u00a0WIB") for line in lines)


def test_wrap_cuts_a_word_longer_than_the_line():
    word = "https://antrean.imigrasi.go.id/bukti/ABC123DEF456GHI789JKL"
    lines = wrap(f"Tautan: {word} selesai", 30, 10)
    assert all(text_width(line, 10) <= 30 for line in lines)
    assert lines[0] == "Tautan:"
    assert "".join(lines[1:]).replace(" selesai", "") == word
    assert lines[-1].endswith(" selesai")  # the words after it carry on the last piece


def test_wrap_of_a_line_narrower_than_one_character():
    assert wrap("WW", 1, 10) == ["W", "W"]


@settings(max_examples=200, deadline=None)
@given(
    st.text(),
    st.floats(min_value=5, max_value=200),
    st.floats(min_value=4, max_value=30),
    st.booleans(),
)
def test_wrap_never_overflows(text, width, size, bold):
    for line in wrap(text, width, size, bold):
        # Only a single character wider than the line itself may overflow.
        assert len(line) == 1 or text_width(line, size, bold) <= width + 1e-9


def test_paragraph_draws_wrapped_lines_and_returns_the_next_baseline():
    doc = Document()
    page = doc.add_page()
    lines = wrap(LOREM, 80, 10)
    y = page.paragraph(20, 50, 80, LOREM, size=10, leading=1.5)
    assert y == pytest.approx(50 + len(lines) * 15 / PT_PER_MM)
    assert page.paragraph(20, y, 80, "") == y

    reader = read(doc.render())
    assert operators(reader).count(b"Tj") == len(lines)
    extracted = reader.pages[0].extract_text()
    for line in lines:
        assert line in extracted


def test_paragraph_baselines_are_leading_apart():
    doc = Document()
    doc.add_page().paragraph(10, 20, 100, "satu\ndua\ntiga", size=10, leading=1.35)
    content = zlib.decompress(re.search(rb"stream\n(.*?)\nendstream", doc.render(), re.S)[1])
    baselines = [float(y) for y in re.findall(rb"Tf \S+ (\S+) Td", content)]
    assert baselines[0] == pytest.approx(841.89 - 20 * PT_PER_MM, abs=0.01)
    assert [a - b for a, b in itertools.pairwise(baselines)] == pytest.approx(
        [13.5, 13.5], abs=0.02
    )


def test_squares_draw_one_square_per_dark_module_in_one_path():
    matrix = [
        [1, 1, 0, 1],
        [0, 0, 0, 0],
        [True, False, True, False],
    ]
    doc = Document()
    doc.add_page().squares(20, 30, 2, matrix)
    ops = operators(read(doc.render()))
    assert ops.count(b"re") == 5
    assert ops.count(b"f") == 1


def test_squares_of_a_real_qr_code_share_their_edges():
    qr = segno.make("ABC123", error="m")
    dark = sum(bool(module) for row in qr.matrix for module in row)
    doc = Document()
    doc.add_page().squares(150, 20, 0.7, qr.matrix)
    content = ContentStream(read(doc.render()).pages[0].get_contents(), None)
    squares = [[float(n) for n in operands] for operands, op in content.operations if op == b"re"]

    assert len(squares) == dark
    # Rounding must not open hairline gaps: a right edge is exactly the next left edge.
    lefts = {round(x, 2) for x, _, _, _ in squares}
    rights = {round(x + w, 2) for x, _, w, _ in squares}
    assert rights - lefts <= {max(rights)}
    assert min(x for x, _, _, _ in squares) == pytest.approx(150 * PT_PER_MM, abs=0.01)
    top = max(y + h for _, y, _, h in squares)
    assert top == pytest.approx(841.89 - 20 * PT_PER_MM, abs=0.01)


def test_rect_and_line():
    doc = Document()
    page = doc.add_page()
    page.rect(10, 10, 190, 277, fill=False)
    page.rect(20, 40, 50, 5)
    page.line(10, 50, 200, 50)
    reader = read(doc.render())
    content = ContentStream(reader.pages[0].get_contents(), reader)
    ops = [(op, [float(n) for n in operands]) for operands, op in content.operations]

    outline, box = [operands for op, operands in ops if op == b"re"]
    mm = PT_PER_MM
    assert outline == pytest.approx([10 * mm, 841.89 - 287 * mm, 190 * mm, 277 * mm], abs=0.01)
    assert box == pytest.approx([20 * mm, 841.89 - 45 * mm, 50 * mm, 5 * mm], abs=0.01)
    assert [op for op, _ in ops].count(b"S") == 2  # the outline and the line
    assert [op for op, _ in ops].count(b"f") == 1


def test_cross_reference_offsets_point_at_their_objects():
    doc = Document(title="Bukti pemesanan ABC123")
    for _ in range(3):
        doc.add_page().paragraph(20, 20, 170, LOREM)
    data = doc.render()

    assert data.startswith(b"%PDF-1.4\n%")
    assert all(byte >= 128 for byte in data.splitlines()[1][1:5])  # the binary comment
    assert data.endswith(b"%%EOF\n")
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data)[1])
    assert data[startxref:].startswith(b"xref\n")

    header, *entries = data[startxref:].split(b"trailer")[0].split(b"\n")[1:-1]
    first, count = map(int, header.split())
    assert (first, count) == (0, len(entries))
    assert entries[0] == b"0000000000 65535 f "
    for number, entry in enumerate(entries[1:], start=1):
        assert len(entry) == 19  # with its "\n", every entry is 20 bytes
        offset, generation, kind = entry.split()
        assert (generation, kind) == (b"00000", b"n")
        assert data[int(offset) :].startswith(b"%d 0 obj\n" % number)
    assert b"/Size %d " % count in data
    assert len(re.findall(rb"\d+ 0 obj\n", data)) == count - 1


def test_stream_lengths_are_exact():
    doc = Document()
    doc.add_page().text(10, 10, "Kode booking: ABC123")
    for length, body in re.findall(
        rb"/Length (\d+) /Filter /FlateDecode >>\nstream\n(.*?)\nendstream", doc.render(), re.S
    ):
        assert int(length) == len(body)
        zlib.decompress(body)


def test_output_is_deterministic():
    def build() -> bytes:
        doc = Document(title="Bukti pemesanan ABC123")
        page = doc.add_page()
        page.text(20, 20, "Kode booking: ABC123", size=14, bold=True)
        page.paragraph(20, 30, 170, LOREM)
        page.squares(150, 40, 0.7, segno.make("ABC123").matrix)
        return doc.render()

    assert build() == build()


def test_a_document_without_pages_is_refused():
    with pytest.raises(ValueError, match="at least one page"):
        Document().render()


def test_coordinates_must_be_finite():
    with pytest.raises(ValueError, match="finite"):
        Document().add_page().line(0, 0, float("nan"), 10)


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text(max_size=50), st.booleans())
def test_any_text_renders_to_a_readable_pdf(text, title, bold):
    doc = Document(title=title)
    page = doc.add_page()
    page.text(20, 20, text, size=12, bold=bold)
    page.paragraph(20, 30, 60, text, bold=bold)
    reader = read(doc.render())
    assert len(reader.pages) == 1
    reader.pages[0].extract_text()
    assert (reader.metadata.title or "") == title
