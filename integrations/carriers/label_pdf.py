"""The 4x6 inch shipping label a carrier adapter prints when it has no label of its own to hand back.

Page 1 is the label: ship-from, ship-to, carrier and service, weights, dimensions, references, drop-off
date, handling flags, and a Code 128 barcode of the tracking number with the number printed under it.
An international label adds customs declaration pages (as many as its items need), so that every item
is declared and the label itself keeps room for the barcode.

Rules the rendering keeps:

- **Text is text** (Helvetica, drawn with ``drawString``): it can be searched, copied and extracted.
- **Nothing overflows**: every string is cut with an ellipsis to the width it is given, and lines are
  only drawn above the area kept for the barcode.
- **Same inputs, same bytes**: the canvas is ``invariant`` (fixed document id) and its dates are
  ``printed_on``, never the clock.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from domain.carriers import CustomsItem, Rate, RateRequest
from domain.creation import Address
from domain.money import to_currency

PAGE_WIDTH, PAGE_HEIGHT = 4 * inch, 6 * inch
MARGIN = 10.0
WIDTH = PAGE_WIDTH - 2 * MARGIN
FONT, BOLD = "Helvetica", "Helvetica-Bold"
ELLIPSIS = "\u2026"
#: Code 128 bars: tall enough for a handheld scanner, as wide as fits (wider modules scan from further).
BAR_HEIGHT = 0.8 * inch
MAX_BAR_WIDTH = 2.0
#: Everything but the barcode stays above this line of page 1.
BARCODE_TOP = MARGIN + 16 + BAR_HEIGHT + 14


def render_label(request: RateRequest, rate: Rate, tracking_number: str, *, reference: str,
                 printed_on: date) -> bytes:
    """The label PDF of a bought rate: one 4x6 inch page, plus customs pages when the parcel goes abroad.

    ``reference`` is the carrier's reference of the shipment (the order's number is ``request.reference``).
    The same arguments always give the same bytes.
    """
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)
    stamp = f"D:{printed_on:%Y%m%d}000000+00'00'"
    canvas.setDateFormatter(lambda *_: stamp)  # creation and modification dates: the printing day
    canvas.setTitle(printable(f"{rate.carrier} label {tracking_number}"))
    canvas.setAuthor(printable(rate.carrier))
    canvas.setSubject(printable(f"Order {request.reference}"))
    canvas.setCreator("Ordergraph")
    _label_page(canvas, request, rate, tracking_number, reference, printed_on)
    if request.international:
        _customs_pages(canvas, request, tracking_number, printed_on)
    canvas.save()
    return buffer.getvalue()


def printable(text: object) -> str:
    """The text as Helvetica prints it: one line, accents it lacks dropped, other characters as '?'."""
    # Helvetica is a PDF standard font (nothing embedded, any viewer has it), but it only has the
    # cp1252 (WinAnsi) characters. Outside them a letter keeps its base when Unicode gives one
    # ("Łódź" -> "?ódz", "ő" -> "o", full-width "Ａ" -> "A") and anything else becomes '?' ("東京" -> "??"),
    # so a label never fails over a name. Printing CJK would need a multi-megabyte embedded font.
    out = []
    for char in str(text):
        if char.isspace() or unicodedata.category(char).startswith("C"):
            out.append(" ")  # newlines, tabs and control characters: a label line is one line
        elif _in_font(char):
            out.append(char)
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(base if base and base != char and _in_font(base) else "?")
    return " ".join("".join(out).split())


def _in_font(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def fit(text: object, font: str, size: float, width: float) -> str:
    """The printable text, cut at the end with an ellipsis so that it is at most ``width`` points wide."""
    text = printable(text)
    if stringWidth(text, font, size) <= width:
        return text
    low, high = 0, len(text)  # the longest prefix that fits with the ellipsis (width grows with length)
    while low < high:
        middle = (low + high + 1) // 2
        if stringWidth(text[:middle] + ELLIPSIS, font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def kilograms(grams: int) -> str:
    """Grams as kilograms with two decimals, rounded up (a label never understates a weight)."""
    return f"{(Decimal(grams) / 1000).quantize(Decimal('0.01'), rounding=ROUND_CEILING)} kg"


def money(amount: Decimal, currency: str) -> str:
    """The amount at its currency's decimals and the code ("12.50 EUR", "2400 JPY")."""
    try:
        amount = to_currency(amount, currency)
    except (ValueError, InvalidOperation):  # a currency we do not know, or too many digits: as given
        pass
    return f"{amount:f} {printable(currency)}"


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


class _Pen:
    """Writes lines down a page from ``top``, never below ``floor``."""

    def __init__(self, canvas: Canvas, top: float, floor: float) -> None:
        self.canvas, self.y, self.floor = canvas, top, floor

    def line(self, text: object, size: float = 7.5, *, bold: bool = False, gap: float = 1.5,
             right: str = "", right_size: float | None = None) -> None:
        """One line, cut to the width; ``right`` is right-aligned on the same line and keeps its room."""
        if not str(text).strip() and not right:
            return
        if self.y - size < self.floor:
            return  # a safety net only: the longest content fits above the floor (a test checks it)
        self.y -= size
        font = BOLD if bold else FONT
        room = WIDTH
        if right:
            small = right_size or size
            right = fit(right, font, small, WIDTH / 2)
            self.canvas.setFont(font, small)
            self.canvas.drawRightString(PAGE_WIDTH - MARGIN, self.y, right)
            room -= stringWidth(right, font, small) + 6
        self.canvas.setFont(font, size)
        self.canvas.drawString(MARGIN, self.y, fit(text, font, size, room))
        self.y -= gap

    def rule(self, space: float = 4) -> None:
        self.y -= space
        self.canvas.setLineWidth(0.8)
        self.canvas.line(MARGIN, self.y, PAGE_WIDTH - MARGIN, self.y)
        self.y -= space


def _address_lines(address: Address, size: float, font: str = FONT) -> list[str]:
    """Company, street lines, "city province postal code" and country; a long city is cut, never the postal code."""
    postal = printable(address.postal_code or "")
    town = " ".join(part for part in (address.city, address.province) if part)
    if town:
        town = fit(town, font, size, WIDTH - stringWidth(f" {postal}", font, size))
    place = " ".join(part for part in (town, postal) if part)
    return [address.company or "", address.line1 or "", address.line2 or "", place, address.country_code or ""]


def _label_page(canvas: Canvas, request: RateRequest, rate: Rate, tracking: str, reference: str,
                printed_on: date) -> None:
    pen = _Pen(canvas, PAGE_HEIGHT - MARGIN, BARCODE_TOP)
    pen.line(rate.carrier, 13, bold=True, gap=3, right=f"Printed {printed_on.isoformat()}", right_size=7)
    pen.line(rate.service, 11, bold=True)
    pen.rule()
    origin = request.ship_from
    pen.line("FROM", 6, bold=True)
    pen.line(origin.name or "", 7.5, bold=True)
    for text in _address_lines(origin, 7.5):
        pen.line(text, 7.5)
    pen.line(f"Tel. {origin.phone}" if origin.phone else "", 7)
    pen.rule()
    to = request.ship_to
    pen.line("SHIP TO", 7, bold=True, gap=2)
    pen.line(to.name or "", 12, bold=True, gap=2)
    company, line1, line2, place, country = _address_lines(to, 11, BOLD)
    for text in (company, line1, line2):
        pen.line(text, 10, gap=2)
    pen.line(place, 11, bold=True, gap=2)
    pen.line(country, 11, bold=True, gap=2)
    pen.line(f"Tel. {to.phone}" if to.phone else "", 8)
    pen.rule()
    weight = f"Weight {kilograms(request.billable_grams)} billable (physical {kilograms(request.weight_grams)})"
    pen.line(weight, 8, bold=True)
    if request.dimensions is not None:
        d = request.dimensions
        pen.line(f"Dimensions {_number(d.length)} x {_number(d.width)} x {_number(d.height)} cm", 8)
    pen.line(f"Order {request.reference}", 8)
    pen.line(f"Shipment {reference}", 7)
    if request.drop_off is not None:
        pen.line(f"Drop-off {request.drop_off.isoformat()}", 8)
    _flags(canvas, pen, request)
    _barcode(canvas, tracking)
    canvas.showPage()


def _flags(canvas: Canvas, pen: _Pen, request: RateRequest) -> None:
    """Handling flags as white-on-black boxes, flowing onto a new row when one is full."""
    flags = []
    if request.signature_confirmation:
        flags.append("SIGNATURE REQUIRED")
    if request.dangerous_goods:
        flags.append("DANGEROUS GOODS")
    if request.insurance is not None:
        flags.append(f"INSURED {money(request.insurance, request.currency)}")
    if request.international:
        flags.append("CUSTOMS DECLARATION ATTACHED")
    size, pad, height = 8.0, 3.0, 12.0
    x, y = MARGIN, pen.y - 4 - height
    for flag in flags:
        text = fit(flag, BOLD, size, WIDTH - 2 * pad)
        width = stringWidth(text, BOLD, size) + 2 * pad
        if x + width > PAGE_WIDTH - MARGIN:
            x, y = MARGIN, y - height - 3
        if y < pen.floor:
            return
        canvas.setFillColorRGB(0, 0, 0)
        canvas.rect(x, y, width, height, stroke=0, fill=1)
        canvas.setFillColorRGB(1, 1, 1)
        canvas.setFont(BOLD, size)
        canvas.drawString(x + pad, y + 3.2, text)
        canvas.setFillColorRGB(0, 0, 0)
        x += width + 4
    pen.y = y


def _barcode(canvas: Canvas, tracking: str) -> None:
    """The tracking number as Code 128, centred at the bottom, its quiet zones (10 modules) inside the page."""
    # Code 128 encodes ASCII only; tracking numbers are ASCII, anything else would not scan anyway.
    text = printable(tracking).encode("ascii", "replace").decode()
    modules = Code128(text, barWidth=1, quiet=False, humanReadable=False).width
    bar_width = min(MAX_BAR_WIDTH, WIDTH / (modules + 20))
    barcode = Code128(text, barWidth=bar_width, barHeight=BAR_HEIGHT, quiet=False, humanReadable=False)
    barcode.drawOn(canvas, (PAGE_WIDTH - barcode.width) / 2, MARGIN + 14)
    canvas.setFont(BOLD, 11)
    canvas.drawCentredString(PAGE_WIDTH / 2, MARGIN + 2, fit(text, BOLD, 11, WIDTH))
    canvas.setFont(FONT, 6)
    canvas.drawString(MARGIN, BARCODE_TOP - 8, "TRACKING NUMBER")


# ---------------------------------------------------------------- customs

#: Room for one declared item: two lines and a gap.
ITEM_HEIGHT = 9 + 2 + 7.5 + 5
HEADER_HEIGHT = 62.0
TOTALS_HEIGHT = 44.0


def _customs_pages(canvas: Canvas, request: RateRequest, tracking: str, printed_on: date) -> None:
    """Every customs item, as many per page as fit, and the totals after the last one."""
    items = list(request.customs)
    per_page = int((PAGE_HEIGHT - 2 * MARGIN - HEADER_HEIGHT - TOTALS_HEIGHT) // ITEM_HEIGHT)
    pages = [items[i:i + per_page] for i in range(0, len(items), per_page)] or [[]]
    for number, page in enumerate(pages, start=1):
        pen = _Pen(canvas, PAGE_HEIGHT - MARGIN, MARGIN)
        pen.line("CUSTOMS DECLARATION", 12, bold=True, gap=3, right=f"Page {number} of {len(pages)}", right_size=8)
        pen.line(f"Order {request.reference}", 8, right=f"Tracking {tracking}")
        pen.line(f"From {request.ship_from.country_code} to {request.ship_to.country_code}", 8)
        pen.line("Qty x description", 6.5, bold=True, right="Line value")
        pen.line("HS code · origin · unit value · line weight", 6.5, bold=True)
        pen.rule(3)
        for item in page:
            _customs_item(pen, item)
        if not items:
            pen.line("No items declared.", 8)
        if number == len(pages):
            _customs_totals(pen, request, printed_on)
        canvas.showPage()


def _customs_item(pen: _Pen, item: CustomsItem) -> None:
    line_value = money(item.unit_value * item.quantity, item.currency)
    pen.line(f"{item.quantity} x {item.description}", 9, bold=True, gap=2, right=line_value)
    pen.line(f"HS {item.hs_code} · origin {item.origin_country} · {money(item.unit_value, item.currency)} each"
             f" · {kilograms(item.unit_grams * item.quantity)}", 7.5, gap=5)


def _customs_totals(pen: _Pen, request: RateRequest, printed_on: date) -> None:
    """The declared value per currency (the items' sum, or the request's own value when it lists none)."""
    totals: dict[str, Decimal] = {}
    for item in request.customs:
        totals[item.currency] = totals.get(item.currency, Decimal(0)) + item.unit_value * item.quantity
    if not totals and request.declared_value is not None:
        totals[request.currency] = request.declared_value
    declared = " + ".join(money(amount, currency) for currency, amount in totals.items()) or "none"
    grams = sum(item.unit_grams * item.quantity for item in request.customs)
    pen.rule(3)
    pen.line(f"Total declared value {declared}", 10, bold=True, gap=3)
    pen.line(f"Total weight of contents {kilograms(grams)}", 8)
    pen.line(f"Declared by the sender, {printed_on.isoformat()}", 8)
