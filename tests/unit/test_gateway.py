"""When a refund part is asked of its provider again, and when it fails instead."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.gateway import (
    GIVE_UP_AFTER,
    MAX_RECONCILE_INTERVAL,
    ProviderError,
    ProviderErrorKind,
    plan_after_error,
    reconcile_delay,
)

HALF_HOUR = timedelta(minutes=30)


def after(error: ProviderError, *, looking_up: bool = False, attempt: int = 1, waiting: timedelta = timedelta(0),
          jitter: float = 0.5):
    return plan_after_error(error, part_id="P1", provider_name="Stripe", looking_up=looking_up, attempt=attempt,
                            waiting=waiting, jitter=jitter, reconcile_after=HALF_HOUR)


def test_a_pending_refund_is_looked_up_after_the_reconcile_time_then_twice_as_long_at_most_daily():
    delays = [reconcile_delay(attempt, HALF_HOUR) for attempt in range(1, 9)]
    assert delays[:4] == [HALF_HOUR, 2 * HALF_HOUR, 4 * HALF_HOUR, 8 * HALF_HOUR]
    assert delays[-1] == MAX_RECONCILE_INTERVAL and delays == sorted(delays)


@pytest.mark.parametrize("kind", list(ProviderErrorKind))
def test_looking_up_a_refund_the_provider_has_never_fails_it(kind):
    assert after(ProviderError(kind, "Stripe: no"), looking_up=True, attempt=3) == 4 * HALF_HOUR


@pytest.mark.parametrize("kind", [ProviderErrorKind.AUTHENTICATION, ProviderErrorKind.INVALID_REQUEST,
                                  ProviderErrorKind.NOT_FOUND])
def test_a_refusal_fails_the_refund_at_once_with_the_providers_words(kind):
    assert after(ProviderError(kind, "Stripe: Charge ch_1 has already been refunded.")) == \
        "Stripe: Charge ch_1 has already been refunded."


def test_a_transient_error_is_tried_again_later_each_time_within_ten_percent_and_at_most_hourly():
    error = ProviderError(ProviderErrorKind.UNAVAILABLE, "Stripe: failed on its side (HTTP 500)")
    assert after(error, attempt=1) == timedelta(seconds=30)
    assert after(error, attempt=2) == timedelta(seconds=60)
    assert after(error, attempt=1, jitter=0.0) == timedelta(seconds=27)
    assert after(error, attempt=1, jitter=1.0) == timedelta(seconds=33)
    assert after(error, attempt=20) == timedelta(hours=1)


def test_a_rate_limit_waits_at_least_what_retry_after_says():
    error = ProviderError(ProviderErrorKind.RATE_LIMITED, "Stripe: too many requests", retry_after=120)
    assert after(error, attempt=1) == timedelta(seconds=120)
    assert after(ProviderError(ProviderErrorKind.RATE_LIMITED, "x", retry_after=5), attempt=3) == \
        timedelta(seconds=120)


def test_a_provider_unreachable_for_longer_than_its_keys_are_kept_fails_the_refund_with_where_to_look():
    error = ProviderError(ProviderErrorKind.UNAVAILABLE, "Stripe: no answer within 20 s")
    assert isinstance(after(error, waiting=GIVE_UP_AFTER - timedelta(minutes=1)), timedelta)
    reason = after(error, waiting=GIVE_UP_AFTER + timedelta(minutes=1))
    assert isinstance(reason, str) and "23 hours" in reason and "ordergraph_refund_part=P1" in reason


def test_a_parts_metadata_names_it_and_its_try_and_nothing_else_does():
    from domain.gateway import named_part, part_metadata

    assert named_part(part_metadata("P1", 2, "R1", "O1")) == ("P1", 2)
    assert named_part({}) is None and named_part({"ordergraph_refund_part": "P1", "ordergraph_try": "x"}) is None
