"""Edits to a placed order: its number, addresses, customer, and notes."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from domain.access import Actor
from domain.creation import Address, Customer, clean_address, clean_customer, clean_order_number
from domain.errors import DomainError, ErrorCode, invalid_input
from domain.notes import plan_add_note
from domain.orders import LEFT_WAREHOUSE, Order, OrderStatus


def plan_update_order_number(order: Order, number: str) -> str | DomainError:
    """A new number is trimmed, 1 to 40 printable characters, and different (uniqueness is the store's)."""
    cleaned = clean_order_number(number)
    if isinstance(cleaned, DomainError):
        return cleaned
    if cleaned == order.number:
        return invalid_input("number", "the order already has this number")
    return cleaned


class AddressWarning(enum.Enum):
    FRAUD_PROTECTION_MAY_BE_VOID = "FRAUD_PROTECTION_MAY_BE_VOID"
    LANDED_COST_MAY_BE_INACCURATE = "LANDED_COST_MAY_BE_INACCURATE"


WARNING_MESSAGES = {
    AddressWarning.FRAUD_PROTECTION_MAY_BE_VOID:
        "Changing an address after checkout may void the order's fraud protection.",
    AddressWarning.LANDED_COST_MAY_BE_INACCURATE:
        "Duties and taxes were computed for the old shipping address and may now be inaccurate.",
}


@dataclass(frozen=True)
class AddressPlan:
    shipping: Address | None
    billing: Address | None
    change_shipping: bool
    change_billing: bool
    warnings: tuple[AddressWarning, ...]


def check_shipping_address_editable(order: Order) -> DomainError | None:
    """The shipping address can change until the order is canceled or a parcel has left."""
    if order.status is OrderStatus.CANCELED:
        return DomainError(ErrorCode.ORDER_CANCELED, "The order is canceled; its shipping address is final.",
                           order_status=order.status.value)
    if any(s.status in LEFT_WAREHOUSE for s in order.shipments):
        return DomainError(ErrorCode.ORDER_SHIPPED, "A shipment has left; the shipping address can no longer change.")
    return None


def plan_update_addresses(
    order: Order, *, shipping: Address | None, billing: Address | None
) -> AddressPlan | DomainError:
    """Change the shipping and/or billing address, with the warnings the UI must show."""
    if shipping is None and billing is None:
        return invalid_input("shippingAddress", "give a shipping address, a billing address, or both")
    if shipping is not None:
        if error := check_shipping_address_editable(order):
            return error
    cleaned = {}
    for name, address in (("shippingAddress", shipping), ("billingAddress", billing)):
        result = clean_address(address, name)
        if isinstance(result, DomainError):
            return result
        cleaned[name] = result
    warnings = [AddressWarning.FRAUD_PROTECTION_MAY_BE_VOID]
    if shipping is not None and (order.duties > 0 or order.taxes > 0):
        warnings.append(AddressWarning.LANDED_COST_MAY_BE_INACCURATE)
    return AddressPlan(
        shipping=cleaned["shippingAddress"], billing=cleaned["billingAddress"],
        change_shipping=shipping is not None, change_billing=billing is not None, warnings=tuple(warnings),
    )


def check_customer_choice(contact: Customer | None, customer_id: str | None) -> DomainError | None:
    """The new customer is named one way: one of the store's customers, or contact details."""
    if (contact is None) == (customer_id is None):
        return invalid_input("customerId", "give the customer's id or their contact details (customer), one of them")
    return None


def plan_change_customer(customer: Customer) -> Customer | DomainError:
    """The order moves to another customer's contact details (a valid email at least)."""
    return clean_customer(customer)


@dataclass(frozen=True)
class NoteRef:
    id: str
    author_id: str | None


def may_edit_note(note: NoteRef, actor: Actor, *, can_manage_notes: bool) -> bool:
    """A note is edited or deleted by its author, or by someone allowed to manage every note."""
    return can_manage_notes or (note.author_id is not None and note.author_id == actor.id)


def plan_update_note(body: str) -> str | DomainError:
    """An edited note follows the rules of a new one."""
    return plan_add_note(body)
