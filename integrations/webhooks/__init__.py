"""Outgoing webhooks: the HTTP adapter behind ``domain.ports.WebhookSender``."""

from integrations.webhooks.sender import (
    READ_LIMIT,
    DisallowedAddressError,
    HttpWebhookSender,
    PinnedAddressBackend,
    ResolutionError,
    Resolver,
    classify,
    public_only,
    signed_headers,
    system_resolver,
)

__all__ = [
    "READ_LIMIT",
    "DisallowedAddressError",
    "HttpWebhookSender",
    "PinnedAddressBackend",
    "ResolutionError",
    "Resolver",
    "classify",
    "public_only",
    "signed_headers",
    "system_resolver",
]
