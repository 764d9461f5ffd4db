"""addNote: internal notes for the team."""

from __future__ import annotations

from db import repository as repo
from db.records import NoteRecord, OrderRecord
from domain.access import Permission
from domain.errors import DomainError
from domain.events import EventType
from domain.notes import plan_add_note
from resolvers import timeline
from resolvers.common import Locked, require, with_locked_order
from resolvers.context import Context


async def add_note(ctx: Context, order_id: str | None, body: str) -> tuple[OrderRecord, NoteRecord] | DomainError:
    """Add a note the team sees and customers never do."""
    who = require(ctx, Permission.WRITE_ORDERS)

    async def decide(locked: Locked) -> NoteRecord | DomainError:
        text = plan_add_note(body)
        if isinstance(text, DomainError):
            return text
        note = await repo.insert_note(locked.record.id, text, timeline.actor(ctx), ctx.now())
        timeline.event(ctx, locked.record.id, EventType.NOTE_ADDED, "Note added.", {"noteId": note.id, "body": text})
        return note

    note = await with_locked_order(ctx, order_id, decide)
    if isinstance(note, DomainError):
        return note
    record = await repo.get_order(who.store_id, note.order_id)
    assert record is not None
    return record, note
