"""The Stripe gateway (the official SDK underneath) against the stateful fake Stripe, over loopback."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.gateway import NotificationRejected, ProviderCredentials, ProviderError, ProviderErrorKind, RefundCall
from domain.ledger import RefundStatus, from_minor, to_minor
from integrations.payments import StripeGateway
from tests.fakes.network import free_port
from tests.fakes.receiver import FakeReceiver
from tests.fakes.stripe import FakeStripe, signature_header

KEY = "sk_test_51OrdergraphStoreOneKey0000abcd"
OTHER_KEY = "sk_test_51OrdergraphStoreTwoKey0000wxyz"
SECRET = "whsec_ordergraph_test_secret"
STORE = ProviderCredentials(KEY, SECRET)
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)

# The SDK hands httpx its form body as ``data=<str>``, which httpx 0.28 deprecates; nothing of ours.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning")


@pytest.fixture
async def fake() -> AsyncIterator[FakeStripe]:
    async with FakeStripe() as f:
        f.add_account(KEY)
        f.add_payment(KEY, "pi_paid", 5000, "EUR")
        f.add_payment(KEY, "ch_paid", 3000, "USD")
        f.add_payment(KEY, "pi_yen", 1200, "JPY")
        yield f


@pytest.fixture
async def gateway(fake: FakeStripe) -> AsyncIterator[StripeGateway]:
    async with StripeGateway(fake.url, timeout=5) as g:
        yield g


@pytest.fixture
async def verifier() -> AsyncIterator[StripeGateway]:
    """A gateway for notifications only: it never calls Stripe."""
    async with StripeGateway() as g:
        yield g


def refund_call(reference: str = "pi_paid", amount: int = 1250, key: str = "part_1.1", currency: str = "EUR",
                **metadata: str) -> RefundCall:
    return RefundCall(key, reference, amount, currency, metadata or {"order_id": "ord_1", "refund_part_id": "part_1"})


async def provider_error(call: Awaitable[object]) -> ProviderError:
    """The ProviderError ``call`` raises; its message always says it is Stripe's."""
    with pytest.raises(ProviderError) as caught:
        await call
    assert caught.value.message.startswith("Stripe: ")
    return caught.value


# ---------------------------------------------------------------- refunds

async def test_a_refund_succeeds_and_comes_back_in_domain_terms(fake, gateway):
    refund = await gateway.refund(STORE, refund_call())

    assert refund.reference.startswith("re_") and refund.reference in fake.refunds
    assert refund.status is RefundStatus.SUCCEEDED
    assert (refund.amount_minor, refund.currency, refund.failure_reason) == (1250, "EUR", None)
    assert refund.metadata == {"order_id": "ord_1", "refund_part_id": "part_1"}
    [sent] = fake.calls
    assert (sent.method, sent.path, sent.idempotency_key, sent.status) == ("POST", "/v1/refunds", "part_1.1", 200)
    assert sent.params == {"payment_intent": "pi_paid", "amount": "1250",
                           "metadata": {"order_id": "ord_1", "refund_part_id": "part_1"}}


async def test_a_charge_reference_is_refunded_as_a_charge(fake, gateway):
    refund = await gateway.refund(STORE, refund_call("ch_paid", 3000, currency="USD"))

    assert (refund.status, refund.amount_minor, refund.currency) == (RefundStatus.SUCCEEDED, 3000, "USD")
    assert fake.calls[0].params["charge"] == "ch_paid" and "payment_intent" not in fake.calls[0].params
    assert fake.refunds[refund.reference]["charge"] == "ch_paid"


async def test_the_same_idempotency_key_sent_twice_refunds_once(fake, gateway):
    first = await gateway.refund(STORE, refund_call())
    again = await gateway.refund(STORE, refund_call())

    assert again == first
    assert len(fake.created_refunds("pi_paid")) == 1
    assert [c.idempotency_key for c in fake.calls] == ["part_1.1", "part_1.1"]


async def test_an_idempotency_key_reused_for_another_amount_is_refused_for_good(fake, gateway):
    await gateway.refund(STORE, refund_call(amount=1000))

    error = await provider_error(gateway.refund(STORE, refund_call(amount=2000)))

    assert error.kind is ProviderErrorKind.INVALID_REQUEST and not error.transient
    assert len(fake.created_refunds("pi_paid")) == 1


async def test_a_pending_refund_reads_as_succeeded_once_stripe_settles_it(fake, gateway):
    fake.behave("pending")
    refund = await gateway.refund(STORE, refund_call())
    assert refund.status is RefundStatus.PENDING

    fake.settle(refund.reference, "succeeded")

    now = await gateway.fetch_refund(STORE, refund.reference)
    assert now.status is RefundStatus.SUCCEEDED and now.amount_minor == 1250 and now.failure_reason is None
    assert fake.calls[-1].method == "GET" and fake.calls[-1].path == f"/v1/refunds/{refund.reference}"


async def test_a_refund_that_needs_action_says_so(fake, gateway):
    fake.behave("requires_action")

    assert (await gateway.refund(STORE, refund_call())).status is RefundStatus.REQUIRES_ACTION


async def test_a_refund_that_fails_at_once_carries_a_reason_a_merchant_can_read(fake, gateway):
    fake.behave("fail", failure_reason="lost_or_stolen_card")

    refund = await gateway.refund(STORE, refund_call())

    assert refund.status is RefundStatus.FAILED
    assert refund.failure_reason is not None
    assert "lost or stolen" in refund.failure_reason and "(lost_or_stolen_card)" in refund.failure_reason


async def test_a_refund_that_succeeded_and_then_failed_is_read_as_failed_with_its_reason(fake, gateway):
    refund = await gateway.refund(STORE, refund_call())
    fake.settle(refund.reference, "failed", "expired_or_canceled_card")

    now = await gateway.fetch_refund(STORE, refund.reference)

    assert now.status is RefundStatus.FAILED
    assert now.failure_reason == ("The card has expired or was canceled, so the money could not be returned to it "
                                  "(expired_or_canceled_card).")


async def test_a_failure_code_we_do_not_know_is_still_put_in_words(fake, gateway):
    fake.behave("pending")
    refund = await gateway.refund(STORE, refund_call())
    fake.settle(refund.reference, "failed", "bank_account_restricted")

    now = await gateway.fetch_refund(STORE, refund.reference)

    assert now.failure_reason == "The refund failed: bank account restricted (bank_account_restricted)."


async def test_a_canceled_refund_frees_its_amount_at_stripe(fake, gateway):
    fake.behave("pending")
    first = await gateway.refund(STORE, refund_call(amount=5000))
    fake.settle(first.reference, "canceled")

    assert (await gateway.fetch_refund(STORE, first.reference)).status is RefundStatus.CANCELED
    again = await gateway.refund(STORE, refund_call(amount=5000, key="part_1.2"))
    assert again.status is RefundStatus.PENDING


async def test_a_yen_refund_is_counted_in_whole_yen(fake, gateway):
    amount = to_minor(Decimal("500"), "JPY")

    refund = await gateway.refund(STORE, refund_call("pi_yen", amount, currency="JPY"))

    assert amount == 500 and fake.calls[0].params["amount"] == "500"
    assert (refund.amount_minor, refund.currency) == (500, "JPY")
    assert from_minor(refund.amount_minor, refund.currency) == Decimal("500")


async def test_each_store_reaches_its_own_account(fake, gateway):
    fake.add_payment(OTHER_KEY, "pi_other", 700, "EUR")
    other = ProviderCredentials(OTHER_KEY)

    refund = await gateway.refund(other, refund_call("pi_other", 700))
    error = await provider_error(gateway.refund(STORE, refund_call("pi_other", 700, key="part_9.1")))

    assert refund.status is RefundStatus.SUCCEEDED
    assert error.kind is ProviderErrorKind.INVALID_REQUEST  # the first store's account has no such payment
    assert (await provider_error(gateway.fetch_refund(STORE, refund.reference))).kind is ProviderErrorKind.NOT_FOUND


# ---------------------------------------------------------------- refusals

async def test_a_wrong_key_is_an_authentication_error_that_does_not_show_the_key(fake, gateway):
    wrong = "sk_test_51OrdergraphRevokedKey00009876"

    error = await provider_error(gateway.refund(ProviderCredentials(wrong), refund_call()))

    assert error.kind is ProviderErrorKind.AUTHENTICATION and not error.transient
    assert wrong not in error.message and wrong not in str(error) and wrong not in repr(error.args)
    assert error.__cause__ is None and error.__context__ is None
    assert fake.calls[0].status == 401


async def test_an_unknown_payment_is_an_invalid_request(fake, gateway):
    error = await provider_error(gateway.refund(STORE, refund_call("pi_never_paid")))

    assert error.kind is ProviderErrorKind.INVALID_REQUEST
    assert error.message == "Stripe: No such payment_intent: 'pi_never_paid'"


async def test_refunding_more_than_is_left_is_an_invalid_request(fake, gateway):
    await gateway.refund(STORE, refund_call(amount=4000))

    too_much = await provider_error(gateway.refund(STORE, refund_call(amount=1500, key="part_2.1")))
    await gateway.refund(STORE, refund_call(amount=1000, key="part_3.1"))
    nothing_left = await provider_error(gateway.refund(STORE, refund_call(amount=1, key="part_4.1")))

    assert too_much.kind is ProviderErrorKind.INVALID_REQUEST and "greater than unrefunded amount" in too_much.message
    assert nothing_left.kind is ProviderErrorKind.INVALID_REQUEST and "already been refunded" in nothing_left.message
    assert len(fake.created_refunds("pi_paid")) == 2


async def test_fetching_a_refund_stripe_does_not_know_is_not_found(fake, gateway):
    error = await provider_error(gateway.fetch_refund(STORE, "re_missing"))

    assert error.kind is ProviderErrorKind.NOT_FOUND and "re_missing" in error.message


async def test_a_reference_that_is_neither_a_payment_intent_nor_a_charge_is_refused_before_calling(fake, gateway):
    error = await provider_error(gateway.refund(STORE, refund_call("py_123")))

    assert error.kind is ProviderErrorKind.INVALID_REQUEST and "py_123" in error.message
    assert fake.calls == []


# ---------------------------------------------------------------- transient failures

@pytest.mark.parametrize("status", [500, 503])
async def test_a_server_error_is_transient_and_not_kept_against_the_idempotency_key(fake, gateway, status):
    fake.behave(f"error {status}", times=1)

    error = await provider_error(gateway.refund(STORE, refund_call()))
    assert error.kind is ProviderErrorKind.UNAVAILABLE and error.transient
    assert len(fake.calls) == 1  # the SDK did not retry on its own

    refund = await gateway.refund(STORE, refund_call())  # the worker's next try, same key
    assert refund.status is RefundStatus.SUCCEEDED and len(fake.created_refunds("pi_paid")) == 1


async def test_a_fault_for_one_account_leaves_the_others_alone(fake, gateway):
    fake.add_payment(OTHER_KEY, "pi_other", 700, "EUR")
    fake.behave("error 503", account=OTHER_KEY)

    assert (await gateway.refund(STORE, refund_call())).status is RefundStatus.SUCCEEDED
    error = await provider_error(gateway.refund(ProviderCredentials(OTHER_KEY), refund_call("pi_other", 700)))
    assert error.kind is ProviderErrorKind.UNAVAILABLE


async def test_a_rate_limit_is_transient_with_stripes_retry_after(fake, gateway):
    fake.behave("rate-limit", retry_after=7, times=2)

    error = await provider_error(gateway.refund(STORE, refund_call()))

    assert error.kind is ProviderErrorKind.RATE_LIMITED and error.transient and error.retry_after == 7.0
    assert fake.calls[0].status == 429


async def test_a_stripe_that_cannot_be_reached_is_unavailable():
    async with StripeGateway(f"http://127.0.0.1:{free_port()}", timeout=5) as gateway:
        error = await provider_error(gateway.refund(STORE, refund_call()))

    assert error.kind is ProviderErrorKind.UNAVAILABLE and error.transient
    assert error.__context__ is None


async def test_a_stripe_that_never_answers_is_unavailable_after_the_timeout(fake):
    fake.behave("hang")
    async with StripeGateway(fake.url, timeout=0.3) as gateway:
        start = time.monotonic()
        error = await provider_error(gateway.fetch_refund(STORE, "re_anything"))

    assert error.kind is ProviderErrorKind.UNAVAILABLE and "0.3 s" in error.message
    assert time.monotonic() - start < 2
    assert fake.calls[0].status is None  # still waiting; the fake ends it when it stops


async def test_an_answer_that_is_not_stripes_is_unavailable():
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 14\r\nconnection: close\r\n\r\n<html>oops</ht")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with StripeGateway(f"http://127.0.0.1:{port}", timeout=5) as gateway:
            error = await provider_error(gateway.fetch_refund(STORE, "re_1"))
    finally:
        server.close()
        await server.wait_closed()

    assert error.kind is ProviderErrorKind.UNAVAILABLE and "oops" not in error.message


# ---------------------------------------------------------------- notifications

async def test_a_signed_refund_event_is_read(fake, gateway):
    fake.behave("pending")
    refund = await gateway.refund(STORE, refund_call())
    fake.settle(refund.reference, "failed", "declined")
    body, headers = fake.event(refund.reference, "refund.failed", secret=SECRET, at=NOW)

    notification = gateway.parse_notification(body, headers, SECRET, NOW + timedelta(seconds=30))

    assert notification.event_id == json.loads(body)["id"] and notification.type == "refund.failed"
    assert notification.created_at == NOW
    assert notification.refund is not None
    assert (notification.refund.reference, notification.refund.status) == (refund.reference, RefundStatus.FAILED)
    assert notification.refund.failure_reason == "The card's bank declined the refund (declined)."
    assert notification.refund.metadata == {"order_id": "ord_1", "refund_part_id": "part_1"}


async def test_the_signature_header_is_found_whatever_its_case(fake, gateway):
    refund = await gateway.refund(STORE, refund_call())
    body, headers = fake.event(refund.reference, "charge.refund.updated", secret=SECRET, at=NOW)

    lower = {name.lower(): value for name, value in headers.items()}

    assert gateway.parse_notification(body, lower, SECRET, NOW).refund is not None


async def test_an_event_signed_with_another_secret_is_rejected(fake, gateway):
    refund = await gateway.refund(STORE, refund_call())
    body, headers = fake.event(refund.reference, "refund.updated", secret="whsec_someone_else", at=NOW)

    with pytest.raises(NotificationRejected, match="signature"):
        gateway.parse_notification(body, headers, SECRET, NOW)


async def test_an_event_changed_after_signing_is_rejected(fake, gateway):
    refund = await gateway.refund(STORE, refund_call())
    body, headers = fake.event(refund.reference, "refund.updated", secret=SECRET, at=NOW)

    with pytest.raises(NotificationRejected, match="signature"):
        gateway.parse_notification(body.replace(b'"amount": 1250', b'"amount": 9999'), headers, SECRET, NOW)


async def test_an_event_the_fake_sends_arrives_signed_and_verifies(fake, gateway):
    refund = await gateway.refund(STORE, refund_call())
    async with FakeReceiver() as receiver:
        status = await fake.send_event(receiver.url("/stripe"), refund.reference, "refund.updated", secret=SECRET)
        [got] = receiver.requests("/stripe")

    notification = gateway.parse_notification(got.body, got.headers, SECRET, datetime.now(timezone.utc))

    assert status == 204 and notification.refund is not None and notification.refund.reference == refund.reference


def test_an_event_without_a_signature_header_is_rejected(verifier):
    with pytest.raises(NotificationRejected, match="no Stripe-Signature"):
        verifier.parse_notification(event_body("refund.updated"), {"Content-Type": "application/json"}, SECRET, NOW)


@pytest.mark.parametrize("seconds", [-300, 0, 300])
def test_an_event_signed_within_five_minutes_of_now_is_accepted(verifier, seconds):
    body = event_body("refund.updated")
    headers = {"Stripe-Signature": signature_header(body, SECRET, int(NOW.timestamp()) + seconds)}

    assert verifier.parse_notification(body, headers, SECRET, NOW).type == "refund.updated"


@pytest.mark.parametrize(("seconds", "reason"), [(-301, "too old"), (301, "future")])
def test_an_event_signed_more_than_five_minutes_from_now_is_rejected(verifier, seconds, reason):
    body = event_body("refund.updated")
    headers = {"Stripe-Signature": signature_header(body, SECRET, int(NOW.timestamp()) + seconds)}

    with pytest.raises(NotificationRejected, match=reason):
        verifier.parse_notification(body, headers, SECRET, NOW)


def test_a_signed_body_that_is_not_json_is_rejected(verifier):
    body = b"<xml>not an event</xml>"
    headers = {"Stripe-Signature": signature_header(body, SECRET, int(NOW.timestamp()))}

    with pytest.raises(NotificationRejected, match="not JSON"):
        verifier.parse_notification(body, headers, SECRET, NOW)


def test_a_signed_event_without_an_id_or_type_is_rejected(verifier):
    body = json.dumps({"object": "event", "created": int(NOW.timestamp()), "data": {}}).encode()
    headers = {"Stripe-Signature": signature_header(body, SECRET, int(NOW.timestamp()))}

    with pytest.raises(NotificationRejected, match="id or type"):
        verifier.parse_notification(body, headers, SECRET, NOW)


def test_while_a_secret_is_rolled_one_matching_signature_of_two_is_enough(verifier):
    body = event_body("refund.updated")
    header = signature_header(body, ["whsec_the_old_one", SECRET], int(NOW.timestamp()))
    assert header.count("v1=") == 2

    assert verifier.parse_notification(body, {"Stripe-Signature": header}, SECRET, NOW).event_id == "evt_1"
    with pytest.raises(NotificationRejected):
        verifier.parse_notification(body, {"Stripe-Signature": header}, "whsec_neither", NOW)


def test_an_event_about_something_else_than_a_refund_has_no_refund(verifier):
    body = event_body("charge.succeeded", {"id": "ch_1", "object": "charge", "amount": 500, "currency": "eur"})
    headers = {"Stripe-Signature": signature_header(body, SECRET, int(NOW.timestamp()))}

    notification = verifier.parse_notification(body, headers, SECRET, NOW)

    assert (notification.type, notification.refund) == ("charge.succeeded", None)


def event_body(type: str, obj: dict | None = None) -> bytes:
    obj = obj or {"id": "re_1", "object": "refund", "amount": 100, "currency": "eur", "status": "succeeded",
                  "metadata": {}}
    return json.dumps({"id": "evt_1", "object": "event", "type": type, "created": int(NOW.timestamp()),
                       "data": {"object": obj}}).encode()
