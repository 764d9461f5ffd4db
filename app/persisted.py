"""Persisted queries: Apollo's automatic persisted queries (APQ), and a trusted-documents mode.

- **APQ.** A client sends ``extensions.persistedQuery.sha256Hash`` without the document (GET or
  POST). A hash this process has seen runs its document; an unknown one answers
  ``PERSISTED_QUERY_NOT_FOUND`` with status 200 (Apollo's link then sends the document once, with
  the hash, and switches itself off on anything else). A document sent with a hash that is not
  its SHA-256 is refused. Documents are kept per process, at most ``MAX_DOCUMENTS`` (least recently
  used out): a miss only costs the client one round trip.
- **Trusted documents** (``ORDERGRAPH_TRUSTED_DOCUMENTS=<manifest.json>``): the public callers
  (customer tokens and callers without a credential) may run only the documents of the manifest,
  by hash or by text, and the documents of the bundled customer order page; API keys (staff and
  partner apps, which write their own queries) are not held to it. The manifest is Apollo's
  persisted-query manifest (``{"format": "apollo-persisted-query-manifest", "operations": [{"id",
  "body"}...]}``) or a plain ``{"<sha256>": "<document>"}`` object.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

#: How many documents one process remembers for APQ.
MAX_DOCUMENTS = 10_000
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"


class PersistedQueryError(Exception):
    """A persisted-query refusal: a GraphQL error with ``code``, answered with ``status``."""

    def __init__(self, code: str, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def load_manifest(path: Path) -> dict[str, str]:
    """The trusted documents by their SHA-256; raises ValueError naming what is wrong with the file."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ValueError(f"ORDERGRAPH_TRUSTED_DOCUMENTS: {path} cannot be read as JSON ({exc})") from None
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        documents = {op.get("id"): op.get("body") for op in data.get("operations", []) if isinstance(op, dict)}
    elif isinstance(data, dict):
        documents = data
    else:
        raise ValueError(f"ORDERGRAPH_TRUSTED_DOCUMENTS: {path} is neither an Apollo persisted-query manifest nor "
                         "an object of documents by their SHA-256")
    for key, document in documents.items():
        if not isinstance(key, str) or not isinstance(document, str) or sha256(document) != key:
            raise ValueError(f"ORDERGRAPH_TRUSTED_DOCUMENTS: the entry {str(key)[:16]}... is not a document under "
                             "its SHA-256")
    return dict(documents)


class PersistedQueries:
    """Resolves a request's document from its persisted-query extension (see the module)."""

    def __init__(self, trusted: Mapping[str, str] | None = None) -> None:
        self._seen: OrderedDict[str, str] = OrderedDict()
        #: None: no trusted-documents mode.
        self.trusted = dict(trusted) if trusted is not None else None

    def trust(self, documents: Mapping[str, str]) -> None:
        """Add documents to the trusted set (the bundled pages' own), when the mode is on."""
        if self.trusted is not None:
            self.trusted.update(documents)

    def document(self, query: str | None, extensions: dict[str, Any] | None, *, public: bool) -> str | None:
        """The document to run; raises ``PersistedQueryError``."""
        persisted = (extensions or {}).get("persistedQuery")
        wanted = None
        if persisted is not None:
            if not isinstance(persisted, dict) or persisted.get("version", 1) != 1 or \
                    not isinstance(persisted.get("sha256Hash"), str):
                raise PersistedQueryError("PERSISTED_QUERY_INVALID", "extensions.persistedQuery is "
                                          '{"version": 1, "sha256Hash": "<hex>"}', 400)
            wanted = persisted["sha256Hash"].lower()
        if query is None:
            if wanted is None:
                return None  # no document at all: the transport says so
            known = (self.trusted or {}).get(wanted) if public and self.trusted is not None else \
                self._seen.get(wanted) or (self.trusted or {}).get(wanted)
            if known is None:
                raise PersistedQueryError(NOT_FOUND, "PersistedQueryNotFound")
            self._remember(wanted, known)
            return known
        digest = sha256(query)
        if wanted is not None and wanted != digest:
            raise PersistedQueryError("PERSISTED_QUERY_HASH_MISMATCH",
                                      "provided sha256Hash does not match the query", 400)
        if public and self.trusted is not None and digest not in self.trusted:
            raise PersistedQueryError(NOT_ALLOWED, "Only trusted documents may run here (ORDERGRAPH_TRUSTED_DOCUMENTS).",
                                      400)
        if wanted is not None:
            self._remember(digest, query)
        return query

    def _remember(self, digest: str, document: str) -> None:
        self._seen[digest] = document
        self._seen.move_to_end(digest)
        if len(self._seen) > MAX_DOCUMENTS:
            self._seen.popitem(last=False)
