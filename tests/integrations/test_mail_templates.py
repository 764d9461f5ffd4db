"""The email templates: every message renders a subject, a text and autoescaped HTML, and says what it must."""


from __future__ import annotations

import html.parser
from typing import Any

import jinja2
import pytest

from domain.notifications import Template
from integrations.mail import (
    render,
)
from integrations.mail.render import format_money
from tests.integrations.mail_contexts import ORDER_URL, context, minimal_context

# ---------------------------------------------------------------- contexts

VARIANTS = {
    "realistic": context,
    "test_order": lambda: context(test=True),
    "minimal": minimal_context,
}

VOID = {"meta", "br", "img", "hr", "link", "input"}


class _Balance(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.errors.append(tag)


def assert_balanced(markup: str) -> None:
    checker = _Balance()
    checker.feed(markup)
    assert checker.stack == [] and checker.errors == []


# ---------------------------------------------------------------- rendering

@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("template", list(Template), ids=lambda t: t.value)
def test_every_template_renders_a_subject_a_text_and_balanced_html(template, variant):
    ctx = VARIANTS[variant]()
    email = render(template, ctx)
    assert email.subject and "\n" not in email.subject and "\r" not in email.subject
    assert len(email.subject) <= 150
    assert "#1001" in email.subject and "#1001" in email.text and "#1001" in email.html
    assert email.html.startswith("<!DOCTYPE html>")
    assert_balanced(email.html)
    assert "{{" not in email.text + email.html and "{%" not in email.text + email.html
    assert "&amp;" not in email.text and "&lt;" not in email.text and "&#39;" not in email.text
    assert ctx["store_name"] in email.text and ctx["store_name"] in email.html
    customer = template not in (Template.NEW_ORDER, Template.REFUND_FAILED)
    if ctx["order_url"] and customer:
        assert "View order details" in email.html and f'href="{ORDER_URL}"' in email.html
        assert f"View order details: {ORDER_URL}" in email.text
    else:
        assert "View order details" not in email.html + email.text
    if ctx["test"]:
        assert email.subject.startswith("[TEST] ")
        assert "test order" in email.text.lower() and "test order" in email.html.lower()
    else:
        assert "[TEST]" not in email.subject and "test order" not in email.text.lower()
    if variant == "minimal":
        assert "Hi there," in email.text or not customer
        assert "None" not in email.text and "None" not in email.html


def test_the_confirmation_lists_the_lines_totals_and_address():
    email = render(Template.ORDER_CONFIRMATION, context())
    assert email.subject == "Your order #1001 is confirmed"
    for text in (email.text, email.html):
        assert "Organic cotton tee, black, M" in text and "49.98 USD" in text
        assert "Subtotal" in text and "78.37 USD" in text and "5.44 USD" in text
        assert "Duties" not in text  # zero lines are left out
        assert "Springfield IL 62701" in text and "March 4, 2025" in text
    assert "- Salt & Pepper mill x 1: 18.00 USD" in email.text
    assert "Salt &amp; Pepper mill" in email.html


def test_the_html_is_autoescaped_and_the_text_is_not():
    ctx = context()
    ctx["order"] = {**ctx["order"], "customer_name": "<script>alert(1)</script>"}
    email = render(Template.ORDER_CONFIRMATION, ctx)
    assert "<script>" not in email.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert "Hi <script>alert(1)</script>," in email.text


def test_only_http_links_become_links():
    ctx = context(order_url="javascript:alert(1)")
    ctx["shipment"] = {**ctx["shipment"], "tracking_url": "javascript:alert(2)"}
    email = render(Template.SHIPMENT_SENT, ctx)
    assert "javascript:" not in email.html + email.text
    assert "1Z999AA10123456784" in email.html  # the number is still shown, as text


def test_amounts_are_exact_in_the_currency_minor_units():
    assert format_money("12.5", "USD") == "12.50 USD"
    assert format_money("2400", "JPY") == "2400 JPY"
    assert format_money("1.005", "KWD") == "1.005 KWD"
    assert format_money("1E+3", "USD") == "1000.00 USD"
    assert format_money("0.123", "USD") == "0.123 USD"  # never rounded away
    with pytest.raises(TypeError):
        format_money(12.5, "USD")
    email = render(Template.ORDER_CONFIRMATION, minimal_context())
    assert "Total: 2400 JPY" in email.text and "2400 JPY" in email.html
    assert "Shipping: Free" in email.text


def test_the_refund_message_says_the_amount_the_currency_and_the_wait():
    email = render(Template.REFUND_ISSUED, context())
    assert email.subject == "We've refunded 12.50 USD for order #1001"
    for text in (email.text, email.html):
        assert "12.50 USD" in text and "in the currency you paid" in text and "business days" in text
        assert "for the damaged items" in text


def test_the_cancellation_messages_say_the_refund_and_the_store_message_in_full():
    canceled = render(Template.ORDER_CANCELED, context(refund=None))
    assert "because some items are no longer available" in canceled.text
    assert "78.37 USD" in canceled.text and "78.37 USD" in canceled.html
    approved = render(Template.CANCELLATION_APPROVED, context())
    assert "was approved" in approved.text and "78.37 USD" in approved.text and "78.37 USD" in approved.html
    declined = render(Template.CANCELLATION_DECLINED, context())
    assert "The mill sold out.\nSorry about that!" in declined.text
    assert "The mill sold out.<br>\nSorry about that!" in declined.html
    fraud = render(Template.ORDER_CANCELED, context(cancellation={"reason": "FRAUD", "message": None,
                                                                  "refund_total": None}))
    assert "fraud" not in fraud.text.lower()  # never said to the customer


def test_the_shipment_messages_carry_carrier_tracking_and_delivery_date():
    sent = render(Template.SHIPMENT_SENT, context())
    assert sent.subject == "Your order #1001 is on its way"
    assert "with UPS" in sent.text and "1Z999AA10123456784" in sent.text
    assert "Track your package: https://www.ups.com/track?tracknum=1Z999AA10123456784" in sent.text
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in sent.html
    assert "Thursday, March 6" in sent.text
    updated = render(Template.SHIPMENT_UPDATED, context())
    assert updated.subject == "Shipping update for order #1001: In transit"
    assert "Status: In transit" in updated.text and "Estimated delivery: Thursday, March 6" in updated.text
    preparing = render(Template.SHIPMENT_PREPARING, context())
    assert "packing" in preparing.text and "Organic cotton tee, black, M x 2" in preparing.text
    delivered = render(Template.SHIPMENT_DELIVERED, context(shipment=None))
    assert "has been delivered" in delivered.text


def test_the_return_and_transfer_messages():
    assert "received 2 items back" in render(Template.RETURN_RECEIVED, context()).text
    assert "received 1 item back" in render(Template.RETURN_RECEIVED, context(returned={"units": 1, "undelivered": False})).text
    # A parcel the carrier could not deliver came back: not a return the customer sent.
    undelivered = render(Template.RETURN_RECEIVED, context(returned={"units": 3, "undelivered": True}))
    assert undelivered.subject == "Your parcel for order #1001 came back to us"
    assert "couldn't deliver your parcel, and 3 items from order #1001 came back" in undelivered.text
    assert "Thanks for sending" not in undelivered.text and "couldn't deliver" in undelivered.html
    transferred = render(Template.ORDER_TRANSFERRED, context())
    assert "under your contact details" in transferred.text and "Total: 78.37 USD" in transferred.text


def test_the_merchant_message_names_the_customer_lines_and_total_and_has_no_customer_link():
    email = render(Template.NEW_ORDER, context())
    assert email.subject == "New order #1001 from Ada Lovelace: 78.37 USD"
    assert "Ada Lovelace <ada@example.com>" in email.text and "SKU TEE-BLK-M" in email.text
    assert "ada@example.com" in email.html and "78.37 USD" in email.html
    assert ORDER_URL not in email.text + email.html
    nameless = context()
    nameless["order"] = {**nameless["order"], "customer_name": None}
    assert render(Template.NEW_ORDER, nameless).subject == "New order #1001 from ada@example.com: 78.37 USD"


def test_a_subject_is_one_short_line_whatever_the_input():
    ctx = context()
    ctx["order"] = {**ctx["order"], "customer_name": "Eve\r\nBcc: victim@example.com\u2028" + "x" * 300}
    subject = render(Template.NEW_ORDER, ctx).subject
    assert "\r" not in subject and "\n" not in subject and "\u2028" not in subject
    assert len(subject) <= 150 and subject.endswith("…")


def test_a_missing_key_is_a_loud_error():
    ctx = context()
    del ctx["refund"]
    with pytest.raises(KeyError, match="refund"):
        render(Template.ORDER_CONFIRMATION, ctx)
    ctx = context()
    ctx["order"] = {k: v for k, v in ctx["order"].items() if k != "total"}
    with pytest.raises(jinja2.UndefinedError):
        render(Template.ORDER_CONFIRMATION, ctx)
    with pytest.raises(jinja2.UndefinedError):
        render(Template.REFUND_ISSUED, context(refund=None))


def test_the_merchant_hears_of_a_failed_refund_with_its_reason_and_what_to_do():
    email = render(Template.REFUND_FAILED, context())
    assert email.subject == "Refund failed on order #1001: 12.50 USD"
    for text in (email.text, email.html.replace("&#39;", "'")):
        assert "The customer's card was closed (expired_or_canceled_card)." in text
        assert "retryRefund" in text and "dashboard" in text
    assert "View order details" not in email.text + email.html


def test_a_failed_refund_of_a_canceled_order_says_the_order_stays_canceled():
    # Canceled while its refund is on its way, the order reads CANCELLATION_REQUESTED: the email goes by
    # whether it is canceled, not by the status it reads.
    base = context()
    waiting = render(Template.REFUND_FAILED, context(order={**base["order"], "status": "CANCELLATION_REQUESTED",
                                                            "canceled": True}))
    assert "The order stays canceled." in waiting.text
    assert "The order stays canceled." not in render(Template.REFUND_FAILED, context()).text
