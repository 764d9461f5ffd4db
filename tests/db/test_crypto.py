"""Secrets at rest: sealed with ORDERGRAPH_ENCRYPTION_KEY's first key, opened with any of them, and
secrets sealed before an encryption key was set stay readable."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app.settings import Settings
from db.crypto import InvalidToken, SecretBox, parse_encryption_keys

MASTER = b"server-secret"


def test_a_secret_sealed_under_an_old_key_opens_after_a_new_key_is_put_first():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = SecretBox(MASTER, [old]).seal("sk_live_abc")
    rotated = SecretBox(MASTER, [new, old])
    assert rotated.open(sealed) == "sk_live_abc"
    assert SecretBox(MASTER, [new]).open(rotated.seal("sk_live_abc")) == "sk_live_abc"  # sealed with the new one
    with pytest.raises(InvalidToken):
        SecretBox(MASTER, [old]).open(rotated.seal("x"))


def test_secrets_sealed_before_an_encryption_key_was_set_stay_readable():
    sealed = SecretBox(MASTER).seal("whsec_old")
    assert SecretBox(MASTER, [Fernet.generate_key().decode()]).open(sealed) == "whsec_old"
    with pytest.raises(InvalidToken):
        SecretBox(b"another-secret").open(sealed)


def test_the_stored_text_does_not_contain_the_secret():
    assert "sk_live_abc" not in SecretBox(MASTER, [Fernet.generate_key().decode()]).seal("sk_live_abc")


@pytest.mark.parametrize("value", ["not-a-key", "short", Fernet.generate_key().decode() + ",nope"])
def test_a_malformed_encryption_key_is_refused_at_start_without_showing_it(value, monkeypatch):
    with pytest.raises(ValueError, match="ORDERGRAPH_ENCRYPTION_KEY: key") as refused:
        parse_encryption_keys(value)
    assert "nope" not in str(refused.value) and "not-a-key" not in str(refused.value)
    monkeypatch.setenv("ORDERGRAPH_ENCRYPTION_KEY", value)
    with pytest.raises(ValueError):
        Settings.from_env()


def test_several_keys_are_read_in_order_and_blanks_ignored(monkeypatch):
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("ORDERGRAPH_ENCRYPTION_KEY", f" {first} , ,{second}")
    assert Settings.from_env().encryption_keys == (first, second)


@pytest.mark.parametrize(("name", "value"), [("ORDERGRAPH_STRIPE_API_BASE", "ftp://x"),
                                              ("ORDERGRAPH_PAYMENTS_RECONCILE_MINUTES", "0"),
                                              ("ORDERGRAPH_PAYMENTS_RECONCILE_MINUTES", "soon")])
def test_payment_settings_are_checked_at_start(name, value, monkeypatch):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        Settings.from_env()


def test_production_needs_a_secret_key_of_its_own(monkeypatch):
    monkeypatch.setenv("ORDERGRAPH_ENV", "production")
    monkeypatch.delenv("ORDERGRAPH_SECRET_KEY", raising=False)
    with pytest.raises(ValueError, match="ORDERGRAPH_SECRET_KEY must be set in production"):
        Settings.from_env()
    monkeypatch.setenv("ORDERGRAPH_SECRET_KEY", "a-long-random-string")
    assert Settings.from_env().production


@pytest.mark.parametrize("value", ["0", "soon", "9999999"])
def test_idempotency_hours_are_checked_at_start(value, monkeypatch):
    monkeypatch.setenv("ORDERGRAPH_IDEMPOTENCY_HOURS", value)
    with pytest.raises(ValueError, match="ORDERGRAPH_IDEMPOTENCY_HOURS"):
        Settings.from_env()
