"""Twilio's delivery reports: ``POST /webhooks/twilio/status``.

Twilio posts each text's fate to the ``StatusCallback`` it was given with the message (the server's
``ORDERGRAPH_PUBLIC_URL`` and this path), signed with the account's auth token. A report that does not
verify is refused with 403 and changes nothing. A verified one is applied once: a text Twilio accepted
and its carrier then could not deliver fails (``FAILED``, with the carrier's reason, and
``NOTIFICATION_FAILED`` in the timeline); delivered, still on its way, a duplicate, or a message
Ordergraph does not know are acknowledged and change nothing, so Twilio stops sending them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.provider_webhooks import answer
from app.settings import TWILIO_STATUS_PATH
from domain.gateway import NotificationRejected
from integrations.sms import TwilioSettings
from integrations.sms.twilio import read_status_callback
from worker.jobs import apply_text_report


def twilio_status_routes(twilio: TwilioSettings, url: str, clock: Callable[[], datetime]) -> list[Route]:
    """The route; ``url`` is the status callback as Twilio was given it (what it signs)."""

    async def status(request: Request) -> Response:
        body = (await request.body()).decode("utf-8", "replace")
        params = dict(parse_qsl(body, keep_blank_values=True))
        try:
            report = read_status_callback(url, params, request.headers.get("x-twilio-signature"), twilio.auth_token)
        except NotificationRejected as rejected:
            return answer(403, f"Not a verified Twilio status callback: {rejected}")
        applied = await apply_text_report(report, clock())
        return JSONResponse({"received": True, "applied": applied})

    return [Route(TWILIO_STATUS_PATH, status, methods=["POST"])]
