"""Webhook rules: acceptable endpoints, the retry schedule, and what each outcome decides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import ErrorCode
from domain.events import EventType, event_payload, webhook_body, webhook_type
from domain.ids import to_global_id
from domain.webhooks import (
    MAX_ATTEMPTS,
    MAX_ENDPOINTS,
    RESPONSE_BODY_LIMIT,
    RETRY_DELAYS,
    AttemptErrorKind,
    AttemptOutcome,
    DeliveryStatus,
    EndpointChange,
    WebhookPolicy,
    address_allowed,
    check_endpoint_count,
    check_event_types,
    check_resolved,
    check_retry,
    check_url,
    parse_retry_after,
    plan_after_attempt,
    plan_endpoint_change,
    receives,
    retry_delay,
    signing_secrets,
    truncate_body,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PRODUCTION = WebhookPolicy(production=True)
DEVELOPMENT = WebhookPolicy()
PRIVATE_OK = WebhookPolicy(allow_private=True)


def answered(status: int, retry_after: timedelta | None = None) -> AttemptOutcome:
    return AttemptOutcome(started_at=NOW, duration_ms=12, status=status, retry_after=retry_after)


def after(outcome: AttemptOutcome, attempt: int = 1, limit: int = MAX_ATTEMPTS, **kw):
    return plan_after_attempt(outcome, attempt=attempt, attempt_limit=limit, now=NOW, jitter=0.5,
                              delivery_created_at=kw.pop("created", NOW - timedelta(days=4)),
                              endpoint_last_success_at=kw.pop("last_success", None), **kw)


def test_event_types_go_out_in_lower_case_dotted_form():
    assert webhook_type(EventType.ORDER_CANCELED) == "order.canceled"
    assert webhook_type(EventType.ORDER_NUMBER_CHANGED) == "order.number.changed"


def test_the_body_is_type_timestamp_and_thin_data_naming_what_was_involved():
    payload = event_payload("3f0e7c3e-8d63-4c4f-9d7a-0d2b0c5b8a11", None,
                            {"refundId": "5a0b4a2c-3d1e-4f5a-9b8c-7d6e5f4a3b2c", "note": "internal text"})
    assert payload == {"eventId": to_global_id("Event", "3f0e7c3e-8d63-4c4f-9d7a-0d2b0c5b8a11"),
                       "refundId": to_global_id("Refund", "5a0b4a2c-3d1e-4f5a-9b8c-7d6e5f4a3b2c")}
    body = webhook_body(EventType.REFUND_ISSUED, NOW, payload)
    assert body == {"type": "refund.issued", "timestamp": "2026-12-01T12:00:00Z", "data": payload}


@pytest.mark.parametrize(("url", "policy", "ok"), [
    ("https://hooks.example.com/orders", PRODUCTION, True),
    ("http://hooks.example.com/orders", PRODUCTION, False),
    ("http://hooks.example.com/orders", DEVELOPMENT, True),
    ("https://10.0.0.7/hooks", PRODUCTION, False),
    ("https://127.0.0.1:8443/hooks", DEVELOPMENT, False),
    ("http://127.0.0.1:8443/hooks", PRIVATE_OK, True),
    ("https://[::1]/hooks", PRODUCTION, False),
    ("https://[::ffff:169.254.169.254]/latest", PRODUCTION, False),
    ("https://169.254.169.254/latest/meta-data", PRODUCTION, False),
    ("https://localhost/hooks", PRODUCTION, False),
    ("https://api.localhost/hooks", DEVELOPMENT, False),
    ("https://93.184.215.14/hooks", PRODUCTION, True),
    ("https://user:secret@hooks.example.com/", DEVELOPMENT, False),
    ("https://hooks.example.com/#x", DEVELOPMENT, False),
    ("mailto:ops@example.com", DEVELOPMENT, False),
    ("https://hooks.example.com/a b", DEVELOPMENT, False),
    ("https://hooks.example.com/\x00", DEVELOPMENT, False),
    ("https://hooks.example.com/" + "x" * 2048, DEVELOPMENT, False),
    ("", DEVELOPMENT, False),
])
def test_which_urls_webhooks_may_go_to(url, policy, ok):
    checked = check_url(url, policy)
    assert (checked == url) is ok, checked
    if not ok:
        assert checked.code is ErrorCode.INVALID_INPUT and checked.field == "url"


@pytest.mark.parametrize(("address", "allowed"), [
    ("93.184.215.14", True), ("2606:4700::1111", True), ("10.1.2.3", False), ("172.16.0.1", False),
    ("192.168.1.1", False), ("100.64.0.1", False), ("127.0.0.1", False), ("0.0.0.0", False), ("::1", False),
    ("fe80::1%eth0", False), ("fd00::1", False), ("224.0.0.1", False), ("::ffff:10.0.0.1", False), ("nonsense", False),
])
def test_only_public_unicast_addresses_are_reachable_unless_private_ones_are_allowed(address, allowed):
    assert address_allowed(address, allow_private=False) is allowed
    assert address_allowed(address, allow_private=True) is (address != "nonsense")


def test_an_endpoint_wants_at_least_one_real_event_type_and_a_store_has_a_few():
    assert check_event_types([]).field == "eventTypes"
    assert check_event_types([EventType.WEBHOOK_TEST]).field == "eventTypes"
    assert check_event_types([EventType.ORDER_CREATED, EventType.ORDER_CREATED]) == {EventType.ORDER_CREATED}
    assert check_endpoint_count(MAX_ENDPOINTS - 1) is None
    assert check_endpoint_count(MAX_ENDPOINTS).code is ErrorCode.WEBHOOK_ENDPOINT_LIMIT_REACHED


def test_the_schedule_is_standard_webhooks_with_jitter():
    assert [d.total_seconds() for d in RETRY_DELAYS] == [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    assert MAX_ATTEMPTS == 10
    assert retry_delay(1, 0.5) == timedelta(seconds=5)
    assert timedelta(seconds=4.5) <= retry_delay(1, 0.0) < retry_delay(1, 0.999) <= timedelta(seconds=5.5)


def test_2xx_succeeds_and_marks_the_endpoint_healthy():
    done = after(answered(200))
    assert (done.status, done.error_kind, done.endpoint_succeeded) == (DeliveryStatus.SUCCEEDED, None, True)


@pytest.mark.parametrize(("status", "kind"), [(301, AttemptErrorKind.REDIRECT), (400, AttemptErrorKind.HTTP_STATUS),
                                              (500, AttemptErrorKind.HTTP_STATUS)])
def test_anything_else_is_retried_on_the_schedule(status, kind):
    retry = after(answered(status), attempt=3)
    assert (retry.status, retry.error_kind) == (DeliveryStatus.PENDING, kind)
    assert retry.next_attempt_at == NOW + RETRY_DELAYS[2]


def test_retry_after_is_honoured_for_429_and_5xx_only_and_capped_at_a_day():
    assert after(answered(429, timedelta(minutes=7))).next_attempt_at == NOW + timedelta(minutes=7)
    assert after(answered(503, timedelta(seconds=1))).next_attempt_at == NOW + RETRY_DELAYS[0]
    assert after(answered(400, timedelta(minutes=7))).next_attempt_at == NOW + RETRY_DELAYS[0]
    assert after(answered(503, timedelta(days=9))).next_attempt_at == NOW + timedelta(days=1)


def test_410_fails_the_delivery_and_disables_the_endpoint_at_once():
    gone = after(answered(410))
    assert gone.status is DeliveryStatus.FAILED and "410" in gone.disable_endpoint


def test_the_last_attempt_fails_and_disables_an_endpoint_silent_since_the_delivery_began():
    silent = after(answered(500), attempt=MAX_ATTEMPTS, last_success=NOW - timedelta(days=5))
    assert silent.status is DeliveryStatus.FAILED and "No delivery succeeded" in silent.disable_endpoint
    alive = after(answered(500), attempt=MAX_ATTEMPTS, last_success=NOW - timedelta(hours=1))
    assert alive.status is DeliveryStatus.FAILED and alive.disable_endpoint is None


def test_a_single_requested_attempt_fails_without_disabling_anything():
    once = after(answered(500), attempt=4, limit=4)
    assert once.status is DeliveryStatus.FAILED and once.disable_endpoint is None


def test_a_disabled_endpoint_gets_no_more_retries():
    stopped = after(answered(500), endpoint_enabled=False)
    assert stopped.status is DeliveryStatus.FAILED and "disabled" in stopped.failure_reason


def test_transport_failures_are_described_without_secrets():
    hung = AttemptOutcome(NOW, 15000, transport_error=AttemptErrorKind.TIMEOUT)
    assert after(hung).error_kind is AttemptErrorKind.TIMEOUT
    reset = after(AttemptOutcome(NOW, 3, transport_error=AttemptErrorKind.CONNECTION, detail="connection reset"),
                  attempt=MAX_ATTEMPTS, last_success=NOW)
    assert reset.failure_reason == "10 attempt(s) failed; the last: connection: connection reset."


def test_a_rotated_secret_signs_beside_the_new_one_for_a_day():
    assert signing_secrets("new", "old", NOW + timedelta(hours=1), NOW) == ("new", "old")
    assert signing_secrets("new", "old", NOW - timedelta(seconds=1), NOW) == ("new",)
    assert signing_secrets("new", None, None, NOW) == ("new",)


def test_a_pending_delivery_is_already_queued():
    assert check_retry(DeliveryStatus.PENDING, NOW).code is ErrorCode.WEBHOOK_DELIVERY_PENDING
    assert check_retry(DeliveryStatus.FAILED, None) is None
    assert check_retry(DeliveryStatus.SUCCEEDED, None) is None


def test_retry_after_reads_seconds_and_http_dates():
    assert parse_retry_after("120", NOW) == timedelta(seconds=120)
    assert parse_retry_after("Tue, 01 Dec 2026 12:10:00 GMT", NOW) == timedelta(minutes=10)
    assert parse_retry_after("Tue, 01 Dec 2026 11:00:00 GMT", NOW) == timedelta(0)
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None


def test_a_long_answer_is_kept_short():
    assert truncate_body("x" * (RESPONSE_BODY_LIMIT + 5)) == "x" * RESPONSE_BODY_LIMIT + "…"
    assert truncate_body("ok") == "ok" and truncate_body(None) is None


def test_a_host_name_must_resolve_and_only_to_reachable_addresses():
    assert check_resolved("hooks.example", ["93.184.215.14", "2606:4700::1111"], PRODUCTION) is None
    assert check_resolved("hooks.example", [], PRODUCTION).field == "url"
    assert "private" in check_resolved("rebind.example", ["93.184.215.14", "10.0.0.1"], PRODUCTION).message
    assert check_resolved("intranet.example", ["10.0.0.1"], PRIVATE_OK) is None


def test_an_endpoint_receives_what_it_subscribes_to_from_its_creation_on():
    assert receives(("ORDER_CANCELED",), NOW, "ORDER_CANCELED", NOW + timedelta(seconds=1))
    assert not receives(("ORDER_CANCELED",), NOW, "REFUND_ISSUED", NOW + timedelta(seconds=1))
    assert not receives(("ORDER_CANCELED",), NOW, "ORDER_CANCELED", NOW - timedelta(seconds=1))


def test_an_endpoint_change_sets_what_was_given_and_says_why_it_is_off():
    off = plan_endpoint_change(EndpointChange(enabled=False, description=" Books "), enabled=True, now=NOW)
    assert off.columns == {"description": "Books", "enabled": False, "disabled_reason": "Disabled by hand.",
                           "disabled_at": NOW} and off.disables
    on = plan_endpoint_change(EndpointChange(enabled=True, event_types=[EventType.REFUND_ISSUED]), enabled=False,
                              now=NOW)
    assert on.columns == {"event_types": ["REFUND_ISSUED"], "enabled": True, "disabled_reason": None,
                          "disabled_at": None} and not on.disables
    assert plan_endpoint_change(EndpointChange(enabled=True), enabled=True, now=NOW).columns == {}
    assert plan_endpoint_change(EndpointChange(event_types=[]), enabled=True, now=NOW).field == "eventTypes"
