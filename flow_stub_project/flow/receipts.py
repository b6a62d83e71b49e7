"""Receipts: issuing one after settlement, and rendering it as a PDF.

The renderer writes a minimal, valid PDF 1.4 by hand: a till-roll page (80 mm wide) per
up to :data:`LINES_PER_PAGE` lines of monospaced text in the standard Courier font, with
a correct cross-reference table. Courier is one of the 14 standard fonts every PDF reader
has, so nothing is embedded; its encoding (WinAnsi, i.e. cp1252) covers the Nordic
letters, but not, for example, CJK or emoji. A receipt with text outside it cannot be
rendered: :func:`issue_receipt` then keeps the receipt with ``pdf=None`` rather than
printing something else than what was sold (Omnium gets no invoice without its PDF).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone

from omnium_integration.transform import cents_to_decimal

from .models import NumberSeries, Order, OrderReceipt

logger = logging.getLogger(__name__)

WIDTH = 40  # characters per line
FONT_SIZE = 8  # points; Courier glyphs are 0.6 em wide, so 40 characters are 192 pt
LEADING = 10  # points between baselines
MARGIN = 17  # points
PAGE_WIDTH = 227  # points: 80 mm
LINES_PER_PAGE = 1000  # keeps a page well under the 14,400 pt a PDF page may measure
DEFAULT_VOUCHER_SERIES = "receipts"


class ReceiptRenderError(Exception):
    """The receipt cannot be rendered as a PDF."""


# ----------------------------------------------------------------------------- issuing


def issue_receipt(order: Order, *, settled_at=None) -> OrderReceipt:
    """Create the receipt of a settled order: voucher number, totals, VAT and its PDF.

    The voucher number comes from the store's voucher number series (or the tenant's
    default one). If the PDF cannot be rendered the receipt is kept without one.
    """
    settled_at = settled_at or timezone.now()
    lines = list(order.lines.all())
    series = order.store.voucher_number_series_uid or DEFAULT_VOUCHER_SERIES
    receipt = OrderReceipt(
        tenant=order.tenant,
        order=order,
        uid=uuid.uuid4().hex,
        voucher_number=str(NumberSeries.next(order.tenant, series)),
        grand_total=sum(line.total for line in lines),
        vat_total=sum(line.vat_amount for line in lines),
        created_at=settled_at,
        settled_at=settled_at,
    )
    try:
        receipt.pdf = render_receipt(receipt)
    except ReceiptRenderError as exc:
        logger.warning("Receipt %s of order %s has no PDF: %s", receipt.uid, order.uid, exc)
        receipt.pdf = None
    receipt.save()
    return receipt


# --------------------------------------------------------------------------- rendering


def receipt_text(receipt: OrderReceipt) -> list[str]:
    """The receipt as lines of at most :data:`WIDTH` characters."""
    order = receipt.order
    is_return = order.type == Order.Type.RETURN
    rule = "-" * WIDTH
    when = timezone.localtime(receipt.settled_at or receipt.created_at)
    text = [
        *_wrap(order.tenant.name),
        *_wrap(order.store.name),
        rule,
        *_columns("CREDIT NOTE" if is_return else "RECEIPT", receipt.voucher_number),
        *_columns("Order", order.uid),
    ]
    if is_return and order.original_order_id:
        text += _columns("Returns order", order.original_order.uid)
    text += [*_columns("Date", when.strftime("%Y-%m-%d %H:%M")), rule]

    vat_by_rate: dict[Decimal, list[int]] = defaultdict(lambda: [0, 0])
    for line in order.lines.all():
        text += _wrap(line.name or line.sku)
        quantity = f"{line.quantity.normalize():f}"
        gross = line.total + line.discount
        text += _columns(f"  {quantity} x {_money(line.unit_price)}", _money(gross))
        if line.discount:
            text += _columns("  Discount", _money(-line.discount))
        totals = vat_by_rate[line.vat_rate]
        totals[0] += line.total
        totals[1] += line.vat_amount
    text += [
        rule,
        *_columns(f"TOTAL {order.currency}", _money(receipt.grand_total)),
        *_columns("  of which VAT", _money(receipt.vat_total)),
    ]
    for rate, (total, vat) in sorted(vat_by_rate.items()):
        text += _columns(f"  VAT {rate}% of {_money(total - vat)}", _money(vat))
    payments = list(order.payments.all())
    if payments:
        text.append(rule)
        for payment in payments:
            text += _columns(payment.method, _money(payment.amount))
    return text


def render_receipt(receipt: OrderReceipt) -> bytes:
    """The receipt as PDF bytes; :class:`ReceiptRenderError` if it cannot be rendered."""
    title = f"Receipt {receipt.voucher_number}"
    return render_pdf(receipt_text(receipt), title=title)


def render_pdf(lines: list[str], *, title: str = "") -> bytes:
    """A PDF of monospaced text lines on till-roll pages."""
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]
    pages = pages or [[]]
    # Objects: 1 catalog, 2 page tree, 3 font, 4 info, then a page and its content each.
    page_ids = [5 + 2 * i for i in range(len(pages))]
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % pid for pid in page_ids), len(pages)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
        b"<< /Producer (Flow stub) /Title (%s) >>" % _pdf_string(title),
    ]
    for page_id, page_lines in zip(page_ids, pages, strict=True):
        height = 2 * MARGIN + LEADING * max(len(page_lines), 1)
        stream = _content_stream(page_lines, top=height - MARGIN - FONT_SIZE)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_WIDTH, height, page_id + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    return _assemble(objects)


def _content_stream(lines: Iterable[str], *, top: int) -> bytes:
    ops = [b"BT", b"/F1 %d Tf" % FONT_SIZE, b"%d TL" % LEADING, b"%d %d Td" % (MARGIN, top)]
    for i, line in enumerate(lines):
        ops.append(b"(%s) Tj" % _pdf_string(line) if i == 0 else b"T* (%s) Tj" % _pdf_string(line))
    ops.append(b"ET")
    return b"\n".join(ops)


def _assemble(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _pdf_string(text: str) -> bytes:
    """A PDF literal string's content in WinAnsi, with its delimiters escaped."""
    try:
        raw = text.encode("cp1252")
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise ReceiptRenderError(
            f"{bad!r} cannot be printed in the receipt font (WinAnsi/cp1252)"
        ) from None
    raw = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return raw.replace(b"\r", b"\\r").replace(b"\n", b"\\n")


# ----------------------------------------------------------------------------- layout


def _money(cents: int) -> str:
    return f"{cents_to_decimal(cents):,.2f}".replace(",", " ")


def _columns(left: str, right: str) -> list[str]:
    """``left`` and ``right`` right-aligned on one line, or on two when they do not fit."""
    room = WIDTH - len(right) - 1
    if len(left) <= room:
        return [f"{left:<{room}} {right}"]
    return [*_wrap(left), *(f"{part:>{WIDTH}}" for part in _wrap(right))]


def _wrap(text: str) -> list[str]:
    text = " ".join(text.split())
    return [text[i : i + WIDTH] for i in range(0, len(text), WIDTH)] or [""]
