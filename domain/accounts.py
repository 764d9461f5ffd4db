"""A store's accounts at payment providers (``configurePaymentProvider``): what a credential must
look like, and what may be shown of it (never the key itself)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import DomainError, invalid_input
from domain.ledger import SENDS_MONEY, PaymentProvider

#: Stripe secret or restricted keys: sk_test_..., sk_live_..., rk_test_..., rk_live_...
STRIPE_KEY = re.compile(r"^(sk|rk)_(test|live)_[A-Za-z0-9]{8,247}$")
#: Stripe webhook signing secrets: whsec_...
STRIPE_WEBHOOK_SECRET = re.compile(r"^whsec_[A-Za-z0-9+/=]{8,250}$")


@dataclass(frozen=True)
class Credentials:
    """Checked credentials, and what identifies them in lists."""

    provider: PaymentProvider
    secret_key: str
    webhook_secret: str | None
    #: The key's kind and last four characters (``sk_test_…4242``).
    key_hint: str
    livemode: bool


def check_credentials(provider: PaymentProvider, secret_key: str, webhook_secret: str | None) -> Credentials | DomainError:
    """Only providers Ordergraph sends money through take credentials: Stripe's secret (or restricted)
    key, and the signing secret of the store's webhook endpoint at Stripe (optional: without it,
    pending refunds are settled by the worker's look-ups alone)."""
    if provider not in SENDS_MONEY:
        return invalid_input("provider", f"{provider.value} payments are not sent through Ordergraph: there is "
                             "nothing to connect")
    key = secret_key.strip()
    if not STRIPE_KEY.match(key):
        return invalid_input("secretKey", "a Stripe secret key looks like sk_live_... or sk_test_... (or a "
                             "restricted key, rk_...) from the Stripe dashboard's API keys page")
    secret = (webhook_secret or "").strip() or None
    if secret is not None and not STRIPE_WEBHOOK_SECRET.match(secret):
        return invalid_input("webhookSecret", "a Stripe webhook signing secret looks like whsec_... (the endpoint's "
                             "page in the Stripe dashboard shows it)")
    kind, mode, _rest = key.split("_", 2)
    return Credentials(provider, key, secret, f"{kind}_{mode}_…{key[-4:]}", mode == "live")
