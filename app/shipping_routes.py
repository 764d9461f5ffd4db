"""Shipping over plain HTTP: label documents, and carriers' tracking notifications.

- ``GET /labels/<label id>.pdf`` answers a bought label's PDF to a key with READ_ORDERS of the label's
  store, sent as GraphQL takes it (``Authorization: Bearer ...``); customer tokens never get one. A label
  of another store is 404, as one that does not exist.
- ``POST /webhooks/easypost/<store id>`` takes EasyPost's tracker events, signed with the store's webhook
  secret (``configureCarrier``); one that does not verify is refused with 400 and changes nothing. A
  verified one moves the shipment through ``worker.labels.apply_tracking``, once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.auth import authenticate
from app.provider_webhooks import answer, webhook_secret
from db import shipping as rows
from db.crypto import SecretBox
from domain.access import Permission
from domain.carriers import CarrierProvider, NotificationRejected
from domain.ids import is_uuid
from domain.ports import Carrier
from worker.labels import apply_tracking

def shipping_routes(state: dict, carriers: Callable[[], Mapping[CarrierProvider, Carrier]],
                    secret_box: Callable[[], SecretBox], clock: Callable[[], datetime]) -> list[Route]:
    """The routes; the carriers, keys and secret box are read when a request comes (the lifespan makes them)."""

    async def label_document(request: Request) -> Response:
        auth = await authenticate(request.headers.get("authorization"), state["secret_key"], clock())
        who = auth.principal
        if who is None:
            return _refuse(401, auth.problem or "A valid API key is required: send it as 'Authorization: Bearer "
                           "<key>'.", {"WWW-Authenticate": "Bearer"})
        if who.is_customer or not who.can(Permission.READ_ORDERS):
            return _refuse(403, "Labels are for the store's staff: this needs an API key with READ_ORDERS.")
        label_id = request.path_params["label"]
        found = await rows.label_document(who.store_id, label_id) if is_uuid(label_id) else None
        if found is None:
            return _refuse(404, "No such label.")
        label, pdf = found
        name = f"label-{label.tracking_number or label.id}.pdf"
        return Response(pdf, media_type="application/pdf", headers={
            "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store"})

    async def easypost_notification(request: Request) -> Response:
        store_id = request.path_params["store"]
        account = await rows.get_account(store_id, CarrierProvider.EASYPOST) if is_uuid(store_id) else None
        secret = webhook_secret(store_id, account.webhook_secret if account else None, secret_box(), "EasyPost",
                                "configureCarrier")
        if isinstance(secret, Response):
            return secret
        body = await request.body()
        try:
            update = carriers()[CarrierProvider.EASYPOST].parse_notification(body, request.headers, secret)
        except NotificationRejected as rejected:
            return answer(400, f"Not a verified EasyPost notification: {rejected}")
        if update is None:
            return JSONResponse({"received": True, "applied": False, "reason": "not a tracker event"})
        applied = await apply_tracking(store_id, CarrierProvider.EASYPOST, update, clock())
        return JSONResponse({"received": True, "applied": applied})

    return [
        Route("/labels/{label}.pdf", label_document, methods=["GET", "HEAD"]),
        Route("/webhooks/easypost/{store}", easypost_notification, methods=["POST"]),
    ]


def _refuse(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=headers)

