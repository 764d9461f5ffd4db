"""Secrets at rest (webhook signing secrets, payment provider keys), encrypted with Fernet.

The key: ``ORDERGRAPH_ENCRYPTION_KEY`` (one or more Fernet keys, comma-separated; the first
encrypts, every one decrypts, so a key can be rotated), and always, last, a key derived from the
server's secret (``ORDERGRAPH_SECRET_KEY``), which is what encrypts when no encryption key is set
and what reads secrets stored before one was. A copy of the database alone reveals none of
them; losing every key that sealed a secret makes it unreadable (configure it again).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["InvalidToken", "SecretBox", "parse_encryption_keys"]


def parse_encryption_keys(value: str) -> tuple[str, ...]:
    """``ORDERGRAPH_ENCRYPTION_KEY``: Fernet keys (``Fernet.generate_key()``), comma-separated.
    Raises ValueError naming what is wrong (never the key)."""
    keys = tuple(part.strip() for part in value.split(",") if part.strip())
    for i, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, binascii.Error):
            raise ValueError(f"ORDERGRAPH_ENCRYPTION_KEY: key {i} is not a Fernet key (32 url-safe base64 bytes; "
                             "make one with: python -c 'from cryptography.fernet import Fernet; "
                             "print(Fernet.generate_key().decode())')") from None
    return keys


class SecretBox:
    """Fernet (AES-128-CBC with HMAC-SHA256): sealed with the first key, opened with any."""

    def __init__(self, master_key: bytes, encryption_keys: Sequence[str] = ()) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                       info=b"ordergraph: secrets at rest v1").derive(master_key)
        self._fernet = MultiFernet([*(Fernet(k) for k in encryption_keys),
                                    Fernet(base64.urlsafe_b64encode(derived))])

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        """The secret; raises ``InvalidToken`` when none of the keys sealed it."""
        return self._fernet.decrypt(sealed.encode()).decode()
