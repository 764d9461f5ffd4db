"""Twilio's delivery reports: ``POST /webhooks/twilio/status``.

Twilio posts each text's fate to the ``StatusCallback`` it was given with the message (the server's
``ORDERGRAPH_PUBLIC_URL``, this path, and the notification's id in the query), signed with the account's
auth token over that URL. A report that does not verify is refused with 403 (and logged: a wrong token or
public URL refuses them all), one that names no message or state with 400, and both change nothing. A
verified one is applied once (``domain.notifications.plan_text_report``): a text its carrier could not
deliver fails, with the carrier's reason, ``NOTIFICATION_FAILED`` in the timeline, and the email instead;
a text whose sending seemed to fail (its answer was lost) but that Twilio reports is sent, so its retry
does not text the customer twice. Delivered, a duplicate, or a message Ordergraph does not know are
acknowledged and change nothing, so Twilio stops sending them.
"""

from __future__ import annotations

import logging
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

log = logging.getLogger("ordergraph.sms")


def twilio_status_routes(twilio: TwilioSettings, url: str, clock: Callable[[], datetime]) -> list[Route]:
    """The route; ``url`` is the status callback as the worker gives it to Twilio (without its query)."""

    async def status(request: Request) -> Response:
        body = (await request.body()).decode("utf-8", "replace")
        params = dict(parse_qsl(body, keep_blank_values=True))
        # Twilio signs the URL it posts to: ours, with the query the worker gave it.
        called = f"{url}?{request.url.query}" if request.url.query else url
        try:
            report = read_status_callback(called, params, request.headers.get("x-twilio-signature"), twilio.auth_token,
                                          request.headers.get("x-twilio-webhooks-signature-settings"))
        except NotificationRejected as rejected:
            log.warning("a Twilio status callback was refused: %s", rejected)
            return answer(403, f"Not a verified Twilio status callback: {rejected}")
        except ValueError as malformed:
            return answer(400, f"Not a status callback Ordergraph can read: {malformed}")
        applied = await apply_text_report(report, clock())
        return JSONResponse({"received": True, "applied": applied})

    return [Route(TWILIO_STATUS_PATH, status, methods=["POST"])]
