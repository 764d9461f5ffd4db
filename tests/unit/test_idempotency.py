import pytest

from domain.errors import ErrorCode
from domain.idempotency import check_idempotency_key


def test_a_refund_needs_a_key_others_may_omit_it():
    assert check_idempotency_key(None, required=True).field == "idempotencyKey"
    assert check_idempotency_key(None, required=False) is None
    assert check_idempotency_key("order-1001-refund-1", required=True) is None


@pytest.mark.parametrize("key", ["", "   ", "k" * 256, "tab\there", "new\nline"])
def test_blank_long_or_unprintable_keys_are_invalid_input(key):
    assert check_idempotency_key(key, required=False).code is ErrorCode.INVALID_INPUT
