"""Customer access tokens: signed, bound to one order, with an expiry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import uuid
from datetime import UTC, datetime, timedelta

from domain.errors import DomainError, invalid_input

PREFIX = "ogc_"
#: How long a customer's "View order details" link works, unless staff choose otherwise.
DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 365


def check_lifetime(days: int) -> timedelta | DomainError:
    """A link works for 1 to 365 days."""
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        return invalid_input("validDays", f"a link is valid for 1 to {MAX_LIFETIME_DAYS} days")
    return timedelta(days=days)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_customer_token(secret: bytes, order_id: str, expires_at: datetime, generation: int = 0) -> str:
    """A token that proves its bearer may view this order until ``expires_at``, while the order's
    links are of this ``generation`` (``revokeCustomerAccessTokens`` starts a new one). Generation 0
    is written as tokens were before generations existed, so those stay valid."""
    body = uuid.UUID(order_id).bytes + struct.pack(">q", int(expires_at.timestamp()))
    if generation:
        body += struct.pack(">I", generation)
    sig = hmac.new(secret, b"customer-token:" + body, hashlib.sha256).digest()
    return PREFIX + _b64(body) + "." + _b64(sig)


def read_customer_token(secret: bytes, token: str, now: datetime) -> tuple[str, int] | None:
    """(order id, generation) of a token, or None if it is malformed, tampered with or expired."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    try:
        body_text, sig_text = token[len(PREFIX):].split(".", 1)
        body, sig = _unb64(body_text), _unb64(sig_text)
    except (ValueError, TypeError):
        return None
    if len(body) not in (24, 28):
        return None
    expected = hmac.new(secret, b"customer-token:" + body, hashlib.sha256).digest()
    if not hmac.compare_digest(sig, expected):
        return None
    (expires,) = struct.unpack(">q", body[16:24])
    if datetime.fromtimestamp(expires, UTC) <= now:
        return None
    generation = struct.unpack(">I", body[24:])[0] if len(body) == 28 else 0
    return str(uuid.UUID(bytes=body[:16])), generation


def verify_customer_token(secret: bytes, token: str, now: datetime) -> str | None:
    """The order id the token is for, or None if it is malformed, tampered with or expired."""
    read = read_customer_token(secret, token, now)
    return read[0] if read else None
