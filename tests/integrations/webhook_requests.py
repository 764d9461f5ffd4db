"""Secrets and requests the webhook sender tests send."""

from __future__ import annotations

import base64
import json
import socket
from datetime import datetime, timedelta, timezone

from domain.webhooks import WebhookRequest

OLD = "whsec_" + base64.b64encode(b"o" * 32).decode()
NEW = "whsec_" + base64.b64encode(b"n" * 32).decode()
SHORT = timedelta(seconds=1)


def webhook(url: str, *, message_id: str = "msg_1", secrets: tuple[str, ...] = (NEW,),
            payload: dict[str, object] | None = None) -> WebhookRequest:
    body = json.dumps(payload or {"type": "order.created", "data": {"id": "T3JkZXI6MQ=="}}).encode()
    return WebhookRequest(url, message_id, datetime.now(timezone.utc), body, secrets)


def resolver(answers: dict[str, list[str]], calls: list[str] | None = None):
    async def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers[host]
    return resolve
