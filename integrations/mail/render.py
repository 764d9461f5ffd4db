"""Customer and merchant messages: a subject, a text part and an HTML part from Jinja2 templates.

Each ``Template`` has ``templates/<name>.txt`` (its ``subject`` block and the text body) and
``templates/<name>.html`` (the HTML body, on ``base.html``). The text is rendered without
escaping, the HTML with autoescape on; a missing key is an error, never an empty string.
Each customer template also has ``templates/sms/<name>.txt``, its text message (``render_sms``),
from the same context.

The context, built by the worker from the stored order:

- ``store_name: str``, ``test: bool`` (a test order), ``order_url: str | None`` (the
  customer's "View order details" link; only http(s) links are shown)
- ``order``: ``number``, ``currency``, ``status``, ``created_at`` (datetime),
  ``customer_name`` (str | None), ``customer_email``, ``subtotal``, ``shipping``, ``duties``,
  ``taxes``, ``total`` (decimal strings), ``lines``: [{``name``, ``sku``, ``quantity`` (int),
  ``unit_price``, ``total``}], ``shipping_address``: {``name``, ``company``, ``line1``,
  ``line2``, ``city``, ``province``, ``postal_code``, ``country_code``, ``phone``} (any value
  may be None) or None
- ``refund``: {``total``, ``currency``, ``reason``} or None
- ``shipment``: {``carrier``, ``tracking_number``, ``tracking_url`` (each str | None),
  ``status``, ``estimated_delivery`` (date | None), ``lines``: [{``name``, ``quantity``}]} or None
- ``cancellation``: {``reason``, ``message``, ``refund_total``} (each str | None) or None
- ``returned``: {``units``: int} or None

Amounts are decimal strings in the order's currency and are shown exactly ("12.50 USD",
"2400 JPY"): they are never turned into floats.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from domain.money import minor_units
from domain.notifications import MAX_SMS_LENGTH, Template

TEMPLATES = Path(__file__).parent / "templates"

#: Keys every context has; a missing one is a bug in the caller, reported at once
#: (a test on a missing variable would otherwise just be false).
REQUIRED_KEYS = ("store_name", "test", "order_url", "order", "refund", "shipment", "cancellation", "returned")

#: Long subjects are cut by mail clients anyway; past this they are cut here, with an ellipsis.
MAX_SUBJECT = 150
TEST_PREFIX = "[TEST] "

_SHIPMENT_STATUS = {
    "AWAITING_SHIPMENT": "Being prepared",
    "SHIPPED": "Shipped",
    "IN_TRANSIT": "In transit",
    "OUT_FOR_DELIVERY": "Out for delivery",
    "DELIVERED": "Delivered",
    "DELIVERY_FAILED": "Delivery attempt failed",
    "CANCELED": "Canceled",
}
# Said to the customer after "We've canceled your order": only the reasons worth saying.
# FRAUD and OTHER stay unsaid on purpose: a customer is never told they were suspected.
_CANCEL_REASON = {
    "CUSTOMER": "as you asked",
    "INVENTORY": "because some items are no longer available",
    "DECLINED": "because the payment was declined",
}
_REFUND_REASON = {
    "RETURN": "for the items you sent back",
    "DAMAGED": "for the damaged items",
    "NOT_RECEIVED": "for the items that didn't arrive",
    "CUSTOMER_REQUEST": "as you asked",
}


@dataclass(frozen=True)
class RenderedEmail:
    """A rendered message: a one-line subject, the text part and the HTML part."""

    subject: str
    text: str
    html: str


def format_money(amount: Any, currency: str) -> str:
    """An exact amount with its currency code ("12.50 USD", "2400 JPY"); floats are refused."""
    if isinstance(amount, (float, bool)):
        raise TypeError("amounts are decimal strings, never floats")
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise ValueError(f"{str(amount)[:40]!r} is not a decimal amount") from None
    if not value.is_finite():
        raise ValueError("amounts are finite numbers")
    try:
        shown = value.quantize(Decimal(1).scaleb(-minor_units(currency)))
    except (ValueError, InvalidOperation):  # a currency we do not know, or too many digits: as given
        shown = value
    if shown != value:  # more decimals than the currency has: show them rather than round
        shown = value
    return f"{shown:f} {currency}"


def code(value: Any) -> str:
    """An enum member or its value as its plain value ("IN_TRANSIT"); None as ""."""
    return "" if value is None else str(getattr(value, "value", value))


def shipment_status(status: Any) -> str:
    """A shipment status as a customer reads it ("IN_TRANSIT" -> "In transit")."""
    value = code(status)
    return _SHIPMENT_STATUS.get(value, value.replace("_", " ").capitalize())


def order_ref(number: Any) -> str:
    """The order number as shown: "#1001" (a store's own leading "#" is not doubled)."""
    return "#" + code(number).lstrip("#")


def long_date(value: date | datetime) -> str:
    """A date as "March 4, 2025" (English, like the rest of the copy)."""
    return f"{value:%B} {value.day}, {value.year}"


def weekday_date(value: date | datetime) -> str:
    """A date as "Thursday, March 6"."""
    return f"{value:%A}, {value:%B} {value.day}"


def address_lines(address: Mapping[str, Any] | None) -> list[str]:
    """A postal address as the lines of an envelope, skipping the parts it does not have."""
    if not address:
        return []
    place = " ".join(p for p in (code(address.get("city")), code(address.get("province")),
                                 code(address.get("postal_code"))) if p.strip())
    parts = (address.get("name"), address.get("company"), address.get("line1"), address.get("line2"), place,
             address.get("country_code"), address.get("phone"))
    return [code(p).strip() for p in parts if code(p).strip()]


def is_zero(amount: Any) -> bool:
    """Whether a decimal string is zero (an empty line in the totals is left out)."""
    try:
        return Decimal(str(amount)) == 0
    except InvalidOperation:
        return False


def plural(count: int, singular: str, many: str | None = None) -> str:
    """A count with its noun: "1 item", "3 items"."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def nl2br(text: Any) -> Markup:
    """Escaped text whose line breaks survive in HTML (a store's message is shown in full)."""
    return Markup("<br>\n").join(escape(line) for line in code(text).splitlines())


def is_weblink(value: Any) -> bool:
    """An absolute http(s) URL: anything else (``javascript:``, relative) is never made a link."""
    if not isinstance(value, str) or not value or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def cancel_reason(reason: Any) -> str:
    """Why the store canceled, as a phrase after "We've canceled your order", or ""."""
    return _CANCEL_REASON.get(code(reason), "")


def refund_reason(reason: Any) -> str:
    """What a refund was for, as a phrase after the amount, or ""."""
    return _REFUND_REASON.get(code(reason), "")


def _environment(*, html: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(money=format_money, code=code, shipment_status=shipment_status, order_ref=order_ref,
                       long_date=long_date, weekday_date=weekday_date, address_lines=address_lines,
                       nl2br=nl2br, cancel_reason=cancel_reason, refund_reason=refund_reason)
    env.globals.update(plural=plural)
    env.tests.update(zero=is_zero, weblink=is_weblink)
    return env


_TEXT = _environment(html=False)
_HTML = _environment(html=True)


def one_line(text: str, limit: int, ellipsis: str = "…") -> str:
    """One line of at most ``limit`` characters: any line break or run of spaces is one space, and a
    longer line is cut, with ``ellipsis``."""
    # str.split() also splits on \r, \n, \v, \f, \x85, \u2028: none may reach a header.
    line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    if len(line) > limit:
        line = line[: limit - len(ellipsis)].rstrip() + ellipsis
    return line


def clean_subject(subject: str) -> str:
    """One line of at most ``MAX_SUBJECT`` characters."""
    return one_line(subject, MAX_SUBJECT)


def _tidy_text(text: str) -> str:
    # Templates leave trailing spaces and runs of blank lines where optional parts were skipped.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _template_names(template: Template) -> tuple[str, str]:
    stem = template.value.lower()
    return f"{stem}.txt", f"{stem}.html"


def _check_context(context: Mapping[str, Any]) -> None:
    missing = [key for key in REQUIRED_KEYS if key not in context]
    if missing:
        raise KeyError(f"the message context lacks {', '.join(missing)}")


def render_sms(template: Template, context: Mapping[str, Any]) -> str:
    """A customer template's text message: one paragraph of at most ``MAX_SMS_LENGTH`` characters (cut
    with "...": "…" is outside the 160-character SMS alphabet); raises on a missing context key, and
    ``TemplateNotFound`` for a merchant's template."""
    _check_context(context)
    return one_line(_TEXT.get_template(f"sms/{template.value.lower()}.txt").render(dict(context)), MAX_SMS_LENGTH,
                    "...")


def render(template: Template, context: Mapping[str, Any]) -> RenderedEmail:
    """The subject, text and HTML of a message; raises on a missing context key."""
    _check_context(context)
    text_name, html_name = _template_names(template)
    text_template = _TEXT.get_template(text_name)
    subject = clean_subject("".join(text_template.blocks["subject"](text_template.new_context(dict(context)))))
    if context["test"]:
        subject = clean_subject(TEST_PREFIX + subject)
    values = {**context, "subject": subject}
    text = _tidy_text(text_template.render(values))
    html = _HTML.get_template(html_name).render(values)
    return RenderedEmail(subject=subject, text=text, html=html)
