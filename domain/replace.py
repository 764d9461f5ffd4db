"""replaceOrder: cancel and place again (Zonos: to keep fraud protection and recompute landed cost,
"cancel the original order and re-order with the updated information").

The original is canceled under the cancel rules, as ``cancelOrder`` with its defaults would (a full
refund, restocked, reason REPLACED), and a new order takes what is left of it: its customer, its lines'
units that can still ship (units refunded before they shipped are not placed again), its currency and
its shipping, duties and taxes (or the recomputed ones given), with the new addresses. The new order
is to be paid anew: the original's money went back with its cancel.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from decimal import Decimal

from domain.access import Permission
from domain.cancel import CancelPlan, CancelRequest, plan_cancel
from domain.creation import Address, NewOrder, clean_address
from domain.errors import DomainError, ErrorCode, invalid_amount, invalid_input
from domain.ledger import PaymentProvider
from domain.money import AmountError, parse_amount, zero
from domain.orders import CancelReason, Order, removed_quantity


#: It cancels with a full refund and places an order: what cancelOrder and createOrder need.
REPLACE_PERMISSIONS = (Permission.CANCEL_ORDERS, Permission.REFUND_ORDERS, Permission.WRITE_ORDERS)


@dataclass(frozen=True)
class ReplaceRequest:
    shipping_address: Address | None
    billing_address: Address | None
    #: Recomputed landed cost (None: as the original charged it).
    shipping: str | None = None
    duties: str | None = None
    taxes: str | None = None


@dataclass(frozen=True)
class ReplacePlan:
    cancel: CancelPlan
    #: The order to place (the store numbers it).
    new: NewOrder


def _units_left(order: Order) -> dict[str, int]:
    """Per line, the units that can still ship: not removed, not refunded before they were in a shipment."""
    return {line.id: line.quantity - removed_quantity(order, line.id) for line in order.lines}


def _cancel(order: Order, *, refund_id: str, new_id: Callable[[], str] | None = None,
            connected: Collection[PaymentProvider] | None = None) -> CancelPlan | DomainError:
    """The original's cancel: as cancelOrder with its defaults, when something of it is left to place again."""
    plan = plan_cancel(order, CancelRequest(reason=CancelReason.REPLACED), refund_id=refund_id, new_id=new_id,
                       connected=connected, replacing=True)
    if not isinstance(plan, DomainError) and not any(units > 0 for units in _units_left(order).values()):
        return DomainError(ErrorCode.NOTHING_TO_REPLACE, "Nothing of the order is left to place again: every "
                           "unit was removed or refunded.")
    return plan


def check_replace_allowed(order: Order, connected: Collection[PaymentProvider] | None = None) -> DomainError | None:
    """What availableActions says: the original can be canceled as cancelOrder would, and something of
    it is left to place again."""
    plan = _cancel(order, refund_id="", connected=connected)
    return plan if isinstance(plan, DomainError) else None


def plan_replace_order(order: Order, original: NewOrder, request: ReplaceRequest, *, refund_id: str,
                       new_id: Callable[[], str] | None = None,
                       connected: Collection[PaymentProvider] | None = None) -> ReplacePlan | DomainError:
    """The cancel to record and the order to place (``original``: the order as it stands, as a new order)."""
    if request.shipping_address is None and request.billing_address is None:
        return invalid_input("shippingAddress", "give the new shipping address, billing address, or both")
    shipping_address = clean_address(request.shipping_address, "shippingAddress")
    if isinstance(shipping_address, DomainError):
        return shipping_address
    billing_address = clean_address(request.billing_address, "billingAddress")
    if isinstance(billing_address, DomainError):
        return billing_address
    amounts: dict[str, Decimal] = {}
    for name in ("shipping", "duties", "taxes"):
        given = getattr(request, name)
        if given is None:
            amounts[name] = getattr(original, name)
            continue
        try:
            amounts[name] = parse_amount(given, original.currency)
        except AmountError as error:
            return invalid_amount(name, str(error))
    cancel = _cancel(order, refund_id=refund_id, new_id=new_id, connected=connected)
    if isinstance(cancel, DomainError):
        return cancel
    left = _units_left(order)
    lines = tuple(replace(new_line, quantity=left[line.id])
                  for line, new_line in zip(order.lines, original.lines, strict=True) if left[line.id] > 0)
    subtotal = sum((ln.unit_price * ln.quantity for ln in lines), zero(original.currency))
    new = replace(
        original, number=None, lines=tuple(lines),
        shipping_address=shipping_address or original.shipping_address,
        billing_address=billing_address or original.billing_address,
        subtotal=subtotal, total=subtotal + amounts["shipping"] + amounts["duties"] + amounts["taxes"],
        amount_paid=zero(original.currency), payments=(), payment_pending=False, transaction_fee=None,
        transaction_fee_returnable=None, **amounts,
    )
    return ReplacePlan(cancel, new)
