"""Notifications about orders (emails, text messages): created when an event is fanned out, sent by a worker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from db import outbox, sql
from db.records import NotificationRecord
from domain.notifications import AfterSend, Channel, NotificationStatus, PlannedNotification

#: Every message goes through one mail server (or one SMS provider): a worker sends only a few at once.
MAIL_LANE = "mail"
SMS_LANE = "sms"
#: The job that sends a message of each channel, and its lane.
_JOBS = {Channel.EMAIL: (outbox.EMAIL, MAIL_LANE), Channel.SMS: (outbox.SMS, SMS_LANE)}

_COLUMNS = ('"id", "order_id", "event_id", "kind", "audience", "channel", "recipient", "status", '
            '"attempts", "next_attempt_at", "message_id", "error", "created_at", "sent_at"')


def _record(row: dict[str, Any]) -> NotificationRecord:
    return NotificationRecord(
        id=str(row["id"]), order_id=str(row["order_id"]), event_id=sql.as_id(row["event_id"]), template=row["kind"],
        audience=row["audience"], channel=row["channel"], recipient=row["recipient"], status=row["status"],
        attempts=int(row["attempts"]),
        next_attempt_at=sql.as_datetime(row["next_attempt_at"]), message_id=row["message_id"], error=row["error"],
        created_at=sql.as_datetime(row["created_at"]), sent_at=sql.as_datetime(row["sent_at"]),
    )


async def create(planned: Sequence[tuple[str, str, PlannedNotification]], now: datetime) -> list[str]:
    """Each (order, event, message) PENDING with the job that sends it (EMAIL or SMS), in the caller's
    transaction. A message an event already has (the same template to the same recipient) is not created twice."""
    if not planned:
        return []
    params: list[Any] = []
    # "payload" held what the old queue meant to send; the event now says it, so new rows keep {}.
    for order_id, event_id, note in planned:
        params += [sql.new_uuid(), order_id, event_id, note.template.value, note.audience.value, note.recipient,
                   note.channel.value, NotificationStatus.PENDING.value, {}, 0, now]
    rows = await sql.fetch(
        'INSERT INTO "customer_notifications" ("id", "order_id", "event_id", "kind", "audience", "recipient", '
        f'"channel", "status", "payload", "attempts", "created_at") VALUES {sql.values(len(planned), 11)} '
        'ON CONFLICT ("event_id", "kind", "recipient") DO NOTHING RETURNING "id", "channel"',
        *params,
    )
    jobs = []
    for row in rows:
        kind, lane = _JOBS[Channel(row["channel"])]
        jobs.append(outbox.NewJob(kind, str(row["id"]), now, lane=lane))
    await outbox.enqueue(jobs)
    return [str(r["id"]) for r in rows]


async def get(notification_id: str) -> NotificationRecord | None:
    rows = await sql.fetch(f'SELECT {_COLUMNS} FROM "customer_notifications" WHERE "id" = $1', notification_id)
    return _record(rows[0]) if rows else None


async def by_order(order_ids: Sequence[str]) -> dict[str, list[NotificationRecord]]:
    """Each order's notifications, oldest first."""
    if not order_ids:
        return {}
    rows = await sql.fetch(f'SELECT {_COLUMNS} FROM "customer_notifications" '
                           f'WHERE "order_id" IN ({sql.placeholders(1, len(order_ids))}) ORDER BY "created_at", "id"',
                           *order_ids)
    out: dict[str, list[NotificationRecord]] = {}
    for row in rows:
        out.setdefault(str(row["order_id"]), []).append(_record(row))
    return out


async def record_outcome(
    notification_id: str, status: NotificationStatus, *, attempts: int, now: datetime, message_id: str | None,
    error: str | None, next_attempt_at: datetime | None,
) -> bool:
    """A sending attempt's outcome, if the message is still PENDING; False when a delivery report decided
    it while the attempt ran (the report stands)."""
    rows = await sql.fetch(
        'UPDATE "customer_notifications" SET "status" = $1, "attempts" = $2, "message_id" = $3, "error" = $4, '
        '"next_attempt_at" = $5, "sent_at" = $6 WHERE "id" = $7 AND "status" = $8 RETURNING "id"',
        status.value, attempts, message_id, error, next_attempt_at,
        now if status is NotificationStatus.SENT else None, notification_id, NotificationStatus.PENDING.value,
    )
    return bool(rows)


async def by_message_id(message_id: str, channel: Channel) -> NotificationRecord | None:
    """The notification a provider names by its own id (a text's SID)."""
    rows = await sql.fetch(f'SELECT {_COLUMNS} FROM "customer_notifications" WHERE "message_id" = $1 '
                           'AND "channel" = $2', message_id, channel.value)
    return _record(rows[0]) if rows else None


async def settle(notification_id: str, expected: NotificationStatus, after: AfterSend, message_id: str,
                 now: datetime) -> bool:
    """A delivery report's outcome, if the message is still ``expected``: its status and error, the
    provider's id, and (sent) when. False when something else decided it first."""
    rows = await sql.fetch(
        'UPDATE "customer_notifications" SET "status" = $1, "error" = $2, "message_id" = $3, '
        '"next_attempt_at" = NULL, "sent_at" = COALESCE("sent_at", $4) WHERE "id" = $5 AND "status" = $6 '
        'RETURNING "id"',
        after.status.value, after.error, message_id, now if after.status is NotificationStatus.SENT else None,
        notification_id, expected.value)
    return bool(rows)
