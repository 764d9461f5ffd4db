from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import ErrorCode
from domain.idempotency import check_idempotency_key, check_key_use, key_expired


def test_a_refund_needs_a_key_others_may_omit_it():
    assert check_idempotency_key(None, required=True).field == "idempotencyKey"
    assert check_idempotency_key(None, required=False) is None
    assert check_idempotency_key("order-1001-refund-1", required=True) is None


@pytest.mark.parametrize("key", ["", "   ", "k" * 256, "tab\there", "new\nline"])
def test_blank_long_or_unprintable_keys_are_invalid_input(key):
    assert check_idempotency_key(key, required=False).code is ErrorCode.INVALID_INPUT


def test_a_used_key_answers_the_same_request_and_refuses_another():
    assert check_key_use("fingerprint-a", "fingerprint-a") is None
    refused = check_key_use("fingerprint-a", "fingerprint-b")
    assert refused.code is ErrorCode.IDEMPOTENCY_KEY_REUSED and refused.field == "idempotencyKey"


def test_a_key_is_kept_for_its_time_and_free_after_it():
    first = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    day = timedelta(hours=24)
    assert not key_expired(first, first + day, day)
    assert key_expired(first, first + day + timedelta(microseconds=1), day)
