from datetime import UTC, datetime, timedelta

from domain.tokens import issue_customer_token, read_customer_token, verify_customer_token

SECRET = b"s" * 32
ORDER = "0b7e2c4e-8c1e-4a8e-9d1a-3a1f8c2b9e10"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_token_names_its_order_until_it_expires():
    token = issue_customer_token(SECRET, ORDER, NOW + timedelta(days=1))
    assert verify_customer_token(SECRET, token, NOW) == ORDER
    assert verify_customer_token(SECRET, token, NOW + timedelta(days=2)) is None


def test_a_tampered_or_foreign_token_is_refused():
    token = issue_customer_token(SECRET, ORDER, NOW + timedelta(days=1))
    assert verify_customer_token(b"other" * 8, token, NOW) is None
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert verify_customer_token(SECRET, flipped, NOW) is None
    for junk in ["", "ogc_", "ogc_a.b", "og_x", "ogc_" + "A" * 300]:
        assert verify_customer_token(SECRET, junk, NOW) is None


def test_a_link_works_for_one_day_to_a_year():
    from datetime import timedelta

    from domain.tokens import check_lifetime

    assert check_lifetime(1) == timedelta(days=1) and check_lifetime(365) == timedelta(days=365)
    assert check_lifetime(0).field == "validDays" and check_lifetime(366).field == "validDays"


def test_a_token_carries_its_links_generation_and_old_tokens_are_generation_zero():
    old = issue_customer_token(SECRET, ORDER, NOW + timedelta(days=1))
    newer = issue_customer_token(SECRET, ORDER, NOW + timedelta(days=1), generation=3)
    assert read_customer_token(SECRET, old, NOW) == (ORDER, 0)
    assert read_customer_token(SECRET, newer, NOW) == (ORDER, 3)
    assert verify_customer_token(SECRET, newer, NOW) == ORDER
    assert newer[4:26] == old[4:26]  # the order id stays where the order page reads it
