"""A small PDF writer for the printable booking proof.

It writes PDF 1.4 with text in Helvetica and Helvetica-Bold, lines, boxes and filled squares
(for a QR code) on A4 pages. Positions are in millimetres from the top-left corner of the
page, the way a layout is drawn on paper; PDF's own points from the bottom-left corner stay
inside this module.

Why hand-written: the proof is a page or two of text and one QR code. A PDF library would be
a runtime dependency (with its updates and security notices) for what takes a few hundred
lines here, most of them font metrics. Standard library only, and no Django, so it runs and
is tested anywhere.

The fonts are two of the 14 standard fonts every PDF viewer has, so nothing is embedded and
files stay a few kilobytes. The price is their WinAnsiEncoding (Windows-1252): Indonesian and
other Latin-script text fits; a character it cannot hold is printed as "?". The same calls
always give the same bytes: there is no timestamp or random file ID.

    doc = Document(title="Bukti pemesanan ABC123", lang="id")
    page = doc.add_page()
    page.text(20, 30, "Kode booking: ABC123", size=14, bold=True)
    y = page.paragraph(20, 40, 170, "Mohon datang 15 menit sebelum jadwal ...")
    data = doc.render()
"""

import math
import unicodedata
import zlib
from collections.abc import Iterable

PT_PER_MM = 72 / 25.4
# A4 is 210 x 297 mm; two decimals of a point are far below what a printer resolves.
PAGE_WIDTH_PT = 595.28
PAGE_HEIGHT_PT = 841.89
# Outlines and rules: thin, yet still solid after printing and photocopying.
LINE_WIDTH_PT = 0.5

# Advance widths in 1/1000 of the font size, for WinAnsiEncoding codes 32-255, from Adobe's
# Core 14 AFM files Helvetica.afm and Helvetica-Bold.afm (Copyright (c) 1985, 1987, 1989,
# 1990, 1997 Adobe Systems Incorporated; Helvetica is a trademark of Linotype-Hell AG and/or
# its subsidiaries), reordered by code. "-" marks the codes with no glyph (127, 129, 141,
# 143, 144, 157): they are never written, see _printable.
_HELVETICA = """
     278  278  355  556  556  889  667  191  333  333  389  584  278  333  278  278
     556  556  556  556  556  556  556  556  556  556  278  278  584  584  584  556
    1015  667  667  722  722  667  611  778  722  278  500  667  556  833  722  778
     667  778  722  667  611  722  667  944  667  667  611  278  278  278  469  556
     333  556  556  500  556  556  278  556  556  222  222  500  222  833  556  556
     556  556  333  500  278  556  500  722  500  500  500  334  260  334  584    -
     556    -  222  556  333 1000  556  556  333 1000  667  333 1000    -  611    -
       -  222  222  333  333  350  556 1000  333 1000  500  333  944    -  500  667
     278  333  556  556  556  556  260  556  333  737  370  556  584  333  737  333
     400  584  333  333  333  556  537  278  333  333  365  556  834  834  834  611
     667  667  667  667  667  667 1000  722  667  667  667  667  278  278  278  278
     722  722  778  778  778  778  778  584  778  722  722  722  722  667  667  611
     556  556  556  556  556  556  889  500  556  556  556  556  278  278  278  278
     556  556  556  556  556  556  556  584  611  556  556  556  556  500  556  500
"""
_HELVETICA_BOLD = """
     278  333  474  556  556  889  722  238  333  333  389  584  278  333  278  278
     556  556  556  556  556  556  556  556  556  556  333  333  584  584  584  611
     975  722  722  722  722  667  611  778  722  278  556  722  611  833  722  778
     667  778  722  667  611  722  667  944  667  667  611  333  278  333  584  556
     333  556  611  556  611  556  333  611  611  278  278  556  278  889  611  611
     611  611  389  556  333  611  556  778  556  556  500  389  280  389  584    -
     556    -  278  556  500 1000  556  556  333 1000  667  333 1000    -  611    -
       -  278  278  500  500  350  556 1000  333 1000  556  333  944    -  500  667
     278  333  556  556  556  556  280  556  333  737  370  556  584  333  737  333
     400  584  333  333  333  611  556  278  333  333  365  556  834  834  834  611
     722  722  722  722  722  722 1000  722  667  667  667  667  278  278  278  278
     722  722  778  778  778  778  778  584  778  722  722  722  722  667  667  611
     556  556  556  556  556  556  889  556  556  556  556  556  278  278  278  278
     611  611  611  611  611  611  611  584  611  611  611  611  611  556  611  556
"""
# Assumed for a character missing from the tables; _printable leaves none in printed text.
DEFAULT_WIDTH = 556


def _width_table(table: str) -> dict[str, int]:
    widths = {}
    for code, value in enumerate(table.split(), start=32):
        if value != "-":
            widths[bytes([code]).decode("cp1252")] = int(value)
    return widths


_WIDTHS = {False: _width_table(_HELVETICA), True: _width_table(_HELVETICA_BOLD)}
_FONT_NAMES = {False: b"/F1", True: b"/F2"}  # resource names of the two fonts

# Characters outside Windows-1252 with a close stand-in inside it, and invisible ones to drop.
# En dash, em dash, curly quotes, ellipsis and the non-breaking space are in Windows-1252.
_SUBSTITUTES = str.maketrans(
    {
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "–",  # figure dash
        "\u2015": "—",  # horizontal bar
        "\u2212": "-",  # minus sign
        "\u2032": "'",  # prime
        "\u2033": '"',  # double prime
        "\u00ad": None,  # soft hyphen: only visible where a line breaks, and we never break there
        "\u200b": None,  # zero-width space
        "\u200d": None,  # zero-width joiner
        "\ufeff": None,  # byte order mark
        # Spaces of other widths and line breaks other than "\n" become plain spaces.
        **dict.fromkeys("\t\n\r\v\f\x85\u2028\u2029", " "),
        **dict.fromkeys("\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008", " "),
        **dict.fromkeys("\u2009\u200a\u202f\u205f\u3000", " "),
    }
)


def _printable_char(char: str) -> str:
    """char as Windows-1252 can print it: itself, its letters without accents, or "?"."""
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        # Letters whose accent Windows-1252 lacks (ă, ệ, ğ) keep their base letter, and
        # compatibility forms (ﬁ, fullwidth Ａ, ①) become plain letters and digits.
        decomposed = unicodedata.normalize("NFKD", char)
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        if not base:  # a stray combining accent: drop it rather than print "?"
            return ""
        try:
            base.encode("cp1252")
        except UnicodeEncodeError:
            return "?"
        return "".join(map(_printable_char, base))
    # Control characters have no glyph in the font.
    return "?" if ord(char) < 32 or ord(char) == 127 else char


def _printable(text: str) -> str:
    """text as it will be printed: every character encodes to one WinAnsi byte with a glyph."""
    # NFC first, so an "e" followed by a combining accent becomes the single "é" we can print.
    text = unicodedata.normalize("NFC", text).translate(_SUBSTITUTES)
    if text.isascii() and text.isprintable():
        return text  # the common case, without a look at each character
    return "".join(map(_printable_char, text))


def _units(text: str, bold: bool) -> int:
    """Width of printable text in 1/1000 of the font size."""
    widths = _WIDTHS[bold]
    return sum(widths.get(char, DEFAULT_WIDTH) for char in text)


def text_width(text: str, size: float = 10, bold: bool = False) -> float:
    """Width in millimetres of text as printed at size points."""
    return _units(_printable(text), bold) * size / 1000 / PT_PER_MM


def wrap(text: str, width_mm: float, size: float = 10, bold: bool = False) -> list[str]:
    """Break text into lines no wider than width_mm, as they will be printed.

    Lines break between words; "\\n" always breaks, and an empty line stays. Runs of spaces
    collapse to one. A word wider than the whole line is cut between characters rather than
    left to run off the page. Characters are those of the printed text ("?" for one the font
    cannot show), so text_width() of each line measures what is printed.
    """
    if not text:
        return []
    widths = _WIDTHS[bold]
    limit = width_mm * PT_PER_MM * 1000 / size  # in font units, like _units()
    space = widths[" "]
    lines = []
    for hard_line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line, line_units = "", 0
        # Split on plain spaces only: str.split() would also break at no-break spaces.
        for word in _printable(hard_line).split(" "):
            if not word:
                continue
            word_units = _units(word, bold)
            if line and line_units + space + word_units <= limit:
                line, line_units = f"{line} {word}", line_units + space + word_units
                continue
            if line:
                lines.append(line)
            line, line_units = word, word_units
            if word_units > limit:
                pieces = _cut(word, limit, widths)
                lines.extend(pieces[:-1])
                line, line_units = pieces[-1], _units(pieces[-1], bold)
        lines.append(line)
    return lines


def _cut(word: str, limit: float, widths: dict[str, int]) -> list[str]:
    """Cut a word into pieces no wider than limit (a piece holds at least one character)."""
    pieces, piece, units = [], "", 0
    for char in word:
        char_units = widths.get(char, DEFAULT_WIDTH)
        if piece and units + char_units > limit:
            pieces.append(piece)
            piece, units = "", 0
        piece, units = piece + char, units + char_units
    pieces.append(piece)
    return pieces


def _num(value: float) -> bytes:
    """A number as PDF writes it: at most two decimals, no exponent, no "-0"."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite coordinate: {value}")
    digits = f"{value:.2f}".rstrip("0").rstrip(".")
    return b"0" if digits == "-0" else digits.encode()


def _x(mm: float) -> float:
    return mm * PT_PER_MM


def _y(mm: float) -> float:
    # PDF measures up from the bottom edge; callers measure down from the top.
    return PAGE_HEIGHT_PT - mm * PT_PER_MM


def _literal(data: bytes) -> bytes:
    """A PDF literal string: backslash and both parentheses escaped, all else verbatim."""
    escaped = data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped + b")"


def _text_string(text: str) -> bytes:
    """A string for metadata (/Title, /Lang), where any Unicode is allowed."""
    if text.isascii() and text.isprintable():
        return _literal(text.encode("ascii"))
    # Outside ASCII, metadata takes UTF-16BE with a byte order mark, here in hex.
    # (A lone surrogate cannot be encoded; it becomes "?" rather than an exception.)
    utf16 = text.encode("utf-16-be", errors="replace")
    return b"<FEFF" + utf16.hex().upper().encode() + b">"


class Page:
    """One A4 portrait page; millimetres from the top-left corner, sizes of type in points."""

    def __init__(self) -> None:
        self._ops: list[bytes] = [_num(LINE_WIDTH_PT) + b" w"]

    def text(self, x: float, y: float, text: str, size: float = 10, bold: bool = False) -> None:
        """One line of text starting at x, with its baseline at y."""
        data = _printable(text).encode("cp1252")
        if not data:
            return
        self._ops.append(
            b"BT %s %s Tf %s %s Td %s Tj ET"
            % (_FONT_NAMES[bold], _num(size), _num(_x(x)), _num(_y(y)), _literal(data))
        )

    def paragraph(
        self,
        x: float,
        y: float,
        width: float,
        text: str,
        size: float = 10,
        bold: bool = False,
        leading: float = 1.35,
    ) -> float:
        """Text wrapped to width, first baseline at y; returns the baseline of the next line.

        Lines are leading times the type size apart; see wrap() for how lines break.
        """
        step = size * leading / PT_PER_MM
        for line in wrap(text, width, size, bold):
            self.text(x, y, line, size, bold)
            y += step
        return y

    def rect(self, x: float, y: float, w: float, h: float, fill: bool = True) -> None:
        """A box with its top-left corner at x, y: filled black, or only its outline."""
        corner = b"%s %s" % (_num(_x(x)), _num(_y(y + h)))  # PDF wants the bottom-left one
        size = b"%s %s" % (_num(w * PT_PER_MM), _num(h * PT_PER_MM))
        self._ops.append(b"%s %s re %s" % (corner, size, b"f" if fill else b"S"))

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        """A straight line from x1, y1 to x2, y2."""
        self._ops.append(
            b"%s %s m %s %s l S" % (_num(_x(x1)), _num(_y(y1)), _num(_x(x2)), _num(_y(y2)))
        )

    def squares(self, x: float, y: float, module: float, matrix: Iterable[Iterable]) -> None:
        """One filled square, module mm wide, for each truthy cell of matrix (rows top down).

        Made for QR codes, such as segno's qr.matrix; the top-left module's corner is at x, y.
        segno's matrix has no quiet zone: keep four modules of white around it. All squares
        go into one path, filled once: a QR code has hundreds of them.
        """
        # Each edge is rounded once and shared by the squares on both sides of it: rounding
        # each square's width on its own would leave hairline gaps that show between modules.
        path = []
        for row_index, row in enumerate(matrix):
            top, bottom = _y(y + row_index * module), _y(y + (row_index + 1) * module)
            top_text, bottom_text = _num(top), _num(bottom)
            height = _num(float(top_text) - float(bottom_text))
            for column, dark in enumerate(row):
                if dark:
                    left = _num(_x(x + column * module))
                    right = _num(_x(x + (column + 1) * module))
                    width = _num(float(right) - float(left))
                    path.append(b"%s %s %s %s re" % (left, bottom_text, width, height))
        if path:
            self._ops.append(b"\n".join(path) + b"\nf")

    def _content(self) -> bytes:
        return b"\n".join(self._ops) + b"\n"


class Document:
    """A PDF of A4 pages; title and lang (a BCP 47 tag, e.g. "id") are its metadata."""

    def __init__(self, title: str = "", lang: str = "id") -> None:
        self.title = title
        self.lang = lang
        self.pages: list[Page] = []

    def add_page(self) -> Page:
        page = Page()
        self.pages.append(page)
        return page

    def render(self) -> bytes:
        """The whole file. Rendering again, or after adding more, is allowed."""
        if not self.pages:
            raise ValueError("a PDF needs at least one page")
        # Fixed numbers for the fixed objects; each page then takes two: itself and its content.
        catalog, pages, info, regular, bold, first_page = 1, 2, 3, 4, 5, 6
        page_numbers = [first_page + 2 * index for index in range(len(self.pages))]

        # DisplayDocTitle: viewers show the title, not a file name like "download (3).pdf".
        root = b"<< /Type /Catalog /Pages %d 0 R /ViewerPreferences << /DisplayDocTitle true >>"
        root %= pages
        if self.lang:
            root += b" /Lang " + _text_string(self.lang)
        metadata = b"<< /Producer (antrean)"
        if self.title:
            metadata += b" /Title " + _text_string(self.title)
        kids = b" ".join(b"%d 0 R" % number for number in page_numbers)
        objects = {
            catalog: root + b" >>",
            pages: b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self.pages)),
            info: metadata + b" >>",
            regular: _font(b"Helvetica"),
            bold: _font(b"Helvetica-Bold"),
        }
        resources = b"<< /Font << /F1 %d 0 R /F2 %d 0 R >> >>" % (regular, bold)
        media_box = b"[0 0 %s %s]" % (_num(PAGE_WIDTH_PT), _num(PAGE_HEIGHT_PT))
        for number, page in zip(page_numbers, self.pages, strict=True):
            objects[number] = (
                b"<< /Type /Page /Parent %d 0 R /MediaBox %s /Resources %s /Contents %d 0 R >>"
                % (pages, media_box, resources, number + 1)
            )
            stream = zlib.compress(page._content(), 9)
            objects[number + 1] = (
                b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
                % (len(stream), stream)
            )

        # The binary comment tells transfer programs the file is binary, not text.
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number in sorted(objects):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
        xref = len(out)
        # Every cross-reference entry is exactly 20 bytes, its end of line included.
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\n" % (
            len(objects) + 1,
            catalog,
            info,
        )
        out += b"startxref\n%d\n%%%%EOF\n" % xref
        return bytes(out)


def _font(base_font: bytes) -> bytes:
    # A standard font needs no widths or file in the PDF: every viewer has its metrics.
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
    return font % base_font
