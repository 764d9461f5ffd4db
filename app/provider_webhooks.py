"""Payment providers' notifications: ``POST /webhooks/stripe/<store id>``.

Stripe signs each notification with the store's webhook secret (``configurePaymentProvider``);
one that does not verify, or is older than 300 s, is refused with 400 and changes nothing.
A verified refund notification is applied through the same domain rule as the worker's own
look-ups, once: a duplicate, or one that arrives after a later state, changes nothing. Refunds
Ordergraph did not make (sent from the Stripe dashboard) and other events are acknowledged and
left alone, so Stripe stops sending them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from db import payments as ledger_rows
from db.crypto import InvalidToken, SecretBox
from domain.gateway import NotificationRejected
from domain.ids import is_uuid
from domain.ledger import PaymentProvider
from domain.ports import PaymentGateway
from worker.payments import apply_outcome

log = logging.getLogger("ordergraph.payments")


def provider_webhook_routes(gateway: Callable[[], PaymentGateway], secret_box: Callable[[], SecretBox],
                            clock: Callable[[], datetime]) -> list[Route]:
    """The routes; ``gateway`` and ``secret_box`` are read when a request comes (the lifespan makes them)."""

    async def stripe_notification(request: Request) -> Response:
        store_id = request.path_params["store"]
        account = await ledger_rows.get_account(store_id, PaymentProvider.STRIPE) if is_uuid(store_id) else None
        secret = webhook_secret(store_id, account.webhook_secret if account else None, secret_box(), "Stripe",
                                "configurePaymentProvider")
        if isinstance(secret, Response):
            return secret
        body = await request.body()
        now = clock()
        try:
            notification = gateway().parse_notification(body, request.headers, secret, now)
        except NotificationRejected as rejected:
            return answer(400, f"Not a verified Stripe notification: {rejected}")
        refund = notification.refund
        if refund is None:
            return JSONResponse({"received": True, "applied": False, "reason": f"{notification.type} is not used"})
        found = await ledger_rows.find_part(store_id, PaymentProvider.STRIPE, refund.reference, refund.metadata)
        if found is None:
            return JSONResponse({"received": True, "applied": False, "reason": "not a refund Ordergraph made"})
        order_id, part_id = found
        outcome = await apply_outcome(store_id, order_id, part_id, refund, PaymentProvider.STRIPE, now)
        return JSONResponse({"received": True, "applied": outcome is not None})

    return [Route("/webhooks/stripe/{store}", stripe_notification, methods=["POST"])]


def webhook_secret(store_id: str, sealed: str | None, box: SecretBox, provider: str, configure: str) -> str | Response:
    """The store's signing secret for a provider's notifications, opened; or the answer that refuses them
    (404: no such store takes them; 500: the secret cannot be read with this server's keys)."""
    if sealed is None:
        return answer(404, f"No store with this id takes {provider} notifications ({configure} with a "
                           "webhookSecret).")
    try:
        return box.open(sealed)
    except InvalidToken:
        log.error("store %s: the %s webhook secret cannot be read with this server's keys", store_id, provider)
        return answer(500, f"The store's webhook secret cannot be read; configure {provider} again.")


def answer(status: int, message: str) -> Response:
    """A refused notification: ``received`` false, and why."""
    return JSONResponse({"received": False, "error": message}, status_code=status)
