"""Secrets at rest (webhook signing secrets): encrypted with a key derived from the server's secret.

A copy of the database alone does not reveal them. Changing ``ORDERGRAPH_SECRET_KEY``
makes them unreadable: the endpoints' secrets must then be rotated.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["InvalidToken", "SecretBox"]


class SecretBox:
    """Fernet (AES-128-CBC with HMAC-SHA256) under a key derived with HKDF, for one purpose only."""

    def __init__(self, master_key: bytes) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                       info=b"ordergraph: secrets at rest v1").derive(master_key)
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        """The secret; raises ``InvalidToken`` when it was sealed under another key."""
        return self._fernet.decrypt(sealed.encode()).decode()
