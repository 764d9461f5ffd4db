"""addNote: internal notes for the team."""

from __future__ import annotations

from db import repository as repo
from db.records import NoteRecord, OrderRecord
from domain.access import Permission
from domain.errors import DomainError, order_not_found
from domain.events import EventType
from domain.notes import plan_add_note
from resolvers import timeline
from resolvers.common import Refused, require
from resolvers.context import Context


async def add_note(ctx: Context, order_id: str | None, body: str) -> tuple[OrderRecord, NoteRecord] | DomainError:
    """Add a note the team sees and customers never do. Four statements in one transaction (issue 14):
    the order locked by writing its next version, the note, its event and the event's outbox job."""
    who = require(ctx, Permission.WRITE_ORDERS)
    if order_id is None or not who.sees_order(order_id):
        return order_not_found()
    try:
        async with timeline.change(ctx):
            record = await repo.bump_order(who.store_id, order_id, ctx.now())
            if record is None:
                return order_not_found()  # nothing was written
            text = plan_add_note(body)
            if isinstance(text, DomainError):
                raise Refused(text)  # the version written with the lock goes back
            note = await repo.insert_note(record.id, text, timeline.actor(ctx), ctx.now())
            timeline.bumped(ctx, record)
            timeline.event(ctx, record.id, EventType.NOTE_ADDED, "Note added.", {"noteId": note.id, "body": text})
    except Refused as refused:
        return refused.error
    ctx.loaders.forget(record.id)
    return record, note
