"""Edits: updateOrderNumber, updateOrderAddresses, changeOrderCustomer, updateNote, deleteNote."""

from __future__ import annotations

from dataclasses import asdict

from db import customers
from db import repository as repo
from db.records import NoteRecord, OrderRecord
from domain.access import Permission
from domain.creation import Address, Customer
from domain.edits import (
    check_customer_choice,
    AddressWarning,
    NoteRef,
    may_edit_note,
    plan_change_customer,
    plan_update_addresses,
    plan_update_note,
    plan_update_order_number,
)
from domain.errors import DomainError, ErrorCode
from domain.events import EventType
from resolvers import timeline
from resolvers.common import Forbidden, Locked, principal, require, with_locked_order
from resolvers.context import Context


def _taken(number: str) -> DomainError:
    return DomainError(ErrorCode.ORDER_NUMBER_TAKEN, f"Order number {number} is taken in this store.", field="number")


async def _reread(ctx: Context, order_id: str) -> OrderRecord:
    """The order as the change left it."""
    record = await repo.get_order(principal(ctx).store_id, order_id)
    assert record is not None
    return record


async def update_order_number(ctx: Context, order_id: str | None, number: str) -> OrderRecord | DomainError:
    """Give the order another number, unique in the store."""
    who = require(ctx, Permission.WRITE_ORDERS)

    async def decide(locked: Locked) -> str | DomainError:
        new = plan_update_order_number(locked.order, number)
        if isinstance(new, DomainError):
            return new
        if await repo.number_taken(who.store_id, new):
            return _taken(new)
        await repo.set_order_number(locked.record, new, ctx.now())
        timeline.event(ctx, locked.record.id, EventType.ORDER_NUMBER_CHANGED,
                       f"Order number changed from {locked.record.number} to {new}.",
                       {"from": locked.record.number, "to": new})
        return locked.record.id

    try:
        done = await with_locked_order(ctx, order_id, decide)
    except repo.IntegrityError:
        # Another order took the number between our check and our write.
        return _taken(number.strip())
    if isinstance(done, DomainError):
        return done
    return await _reread(ctx, done)


async def update_order_addresses(
    ctx: Context, order_id: str | None, *, shipping: Address | None, billing: Address | None
) -> tuple[OrderRecord, tuple[AddressWarning, ...]] | DomainError:
    """Change addresses; the answer carries the warnings the UI must show."""
    require(ctx, Permission.WRITE_ORDERS)

    async def decide(locked: Locked):
        plan = plan_update_addresses(locked.order, shipping=shipping, billing=billing)
        if isinstance(plan, DomainError):
            return plan
        changes = {}
        if plan.change_shipping:
            changes["shipping_address"] = plan.shipping
        if plan.change_billing:
            changes["billing_address"] = plan.billing
        await repo.set_addresses(locked.record.id, ctx.now(), **changes)
        which = " and ".join(name.split("_")[0] for name in changes)
        timeline.event(ctx, locked.record.id, EventType.ADDRESS_CHANGED, f"The {which} address changed.", {
            "before": {k: getattr(locked.record, k) for k in changes},
            "after": {k: asdict(v) if v else None for k, v in changes.items()},
            "warnings": [w.value for w in plan.warnings],
        })
        return locked.record.id, plan.warnings

    done = await with_locked_order(ctx, order_id, decide)
    if isinstance(done, DomainError):
        return done
    return await _reread(ctx, done[0]), done[1]


async def change_order_customer(
    ctx: Context, order_id: str | None, customer: Customer | None, customer_id: str | None, *,
    notify_customer: bool | None,
) -> OrderRecord | DomainError:
    """Move the order to another of the store's customers: one chosen by id, whose contact details it
    takes, or the one with these contact details' email (made when the store has none)."""
    who = require(ctx, Permission.WRITE_ORDERS)
    if error := check_customer_choice(customer, customer_id):
        return error
    chosen = await customers.get(who.store_id, customer_id) if customer_id is not None else None
    if customer_id is not None:
        if chosen is None:
            return DomainError(ErrorCode.CUSTOMER_NOT_FOUND, "No customer with this id is in your store.",
                               field="customerId")
        customer = Customer(email=chosen.email, name=chosen.name, phone=chosen.phone)
    assert customer is not None

    async def decide(locked: Locked) -> str | DomainError:
        new = plan_change_customer(customer)
        if isinstance(new, DomainError):
            return new
        before, now = locked.record, ctx.now()
        new_id = chosen.id if chosen is not None else await customers.customer_for(who.store_id, new, now,
                                                                                   repo.new_id())
        await repo.set_customer(before, new, new_id, now)
        timeline.event(ctx, before.id, EventType.CUSTOMER_CHANGED,
                       f"Customer changed from {before.customer_email} to {new.email}.",
                       {"from": before.customer_email, "to": new.email, "customerId": new_id}, notify=notify_customer)
        return before.id

    done = await with_locked_order(ctx, order_id, decide)
    if isinstance(done, DomainError):
        return done
    return await _reread(ctx, done)


def _note_not_found() -> DomainError:
    return DomainError(ErrorCode.NOTE_NOT_FOUND, "No note with this id exists.", field="noteId")


async def _editable_note(ctx: Context, note_id: str | None) -> NoteRecord | DomainError:
    who = require(ctx, Permission.WRITE_ORDERS)
    note = await repo.get_note(who.store_id, note_id) if note_id else None
    if note is None:
        return _note_not_found()
    if not may_edit_note(NoteRef(note.id, note.author_id), who.actor,
                         can_manage_notes=who.can(Permission.MANAGE_NOTES)):
        raise Forbidden(Permission.MANAGE_NOTES, "Only the note's author, or a key with MANAGE_NOTES, may change it.")
    return note


async def update_note(ctx: Context, note_id: str | None, body: str) -> tuple[OrderRecord, NoteRecord] | DomainError:
    """Edit a note; the timeline keeps what it said before."""
    note = await _editable_note(ctx, note_id)
    if isinstance(note, DomainError):
        return note

    async def decide(locked: Locked) -> NoteRecord | DomainError:
        text = plan_update_note(body)
        if isinstance(text, DomainError):
            return text
        current = await repo.get_note(locked.record.store_id, note.id)
        if current is None:
            return _note_not_found()
        updated = await repo.update_note(note.id, text, ctx.now())
        timeline.event(ctx, locked.record.id, EventType.NOTE_EDITED, "Note edited.",
                       {"noteId": note.id, "before": current.body, "after": text})
        return updated

    updated = await with_locked_order(ctx, note.order_id, decide)
    if isinstance(updated, DomainError):
        return updated
    return await _reread(ctx, note.order_id), updated


async def delete_note(ctx: Context, note_id: str | None) -> tuple[OrderRecord, str] | DomainError:
    """Delete a note; the timeline keeps what it said."""
    note = await _editable_note(ctx, note_id)
    if isinstance(note, DomainError):
        return note

    async def decide(locked: Locked) -> str | DomainError:
        current = await repo.get_note(locked.record.store_id, note.id)
        if current is None:
            return _note_not_found()
        await repo.delete_note(note.id)
        timeline.event(ctx, locked.record.id, EventType.NOTE_DELETED, "Note deleted.",
                       {"noteId": note.id, "body": current.body, "author": current.author_name})
        return note.id

    deleted = await with_locked_order(ctx, note.order_id, decide)
    if isinstance(deleted, DomainError):
        return deleted
    return await _reread(ctx, note.order_id), deleted
