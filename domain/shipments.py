"""Shipments: creating them for chosen units, moving them through their statuses, voiding them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from domain.errors import DomainError, ErrorCode, invalid_input
from domain.orders import (
    NOT_LEFT,
    FulfillmentStatus,
    Order,
    OrderStatus,
    Shipment,
    ShipmentStatus,
    ShippingPoint,
    fulfillment_status,
    unshipped_quantity,
)
from domain.returns import returns_outrun_shipments
from domain.tracking import (
    ShipmentLineRequest,
    check_url,
    clean_carrier,
    normalize_tracking_number,
    shipment_lines,
    tracking_url_for,
)

S = ShipmentStatus
_ONE_YEAR = timedelta(days=366)

#: Where a delivered shipment may go from each status. Delivered and canceled are final;
#: a failed delivery can be retried. The pickup statuses are not a delivery's.
TRANSITIONS: dict[ShipmentStatus, frozenset[ShipmentStatus]] = {
    S.AWAITING_SHIPMENT: frozenset({S.SHIPPED, S.CANCELED}),
    S.SHIPPED: frozenset({S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERY_FAILED}),
    S.IN_TRANSIT: frozenset({S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERY_FAILED}),
    S.OUT_FOR_DELIVERY: frozenset({S.IN_TRANSIT, S.DELIVERED, S.DELIVERY_FAILED}),
    S.DELIVERY_FAILED: frozenset({S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.READY_FOR_PICKUP: frozenset(),
    S.PICKED_UP: frozenset(),
    S.CANCELED: frozenset(),
}
#: A pickup in store: the parcel is prepared, waits in store, and is collected (or voided before).
PICKUP_TRANSITIONS: dict[ShipmentStatus, frozenset[ShipmentStatus]] = {
    **{status: frozenset() for status in ShipmentStatus},
    S.AWAITING_SHIPMENT: frozenset({S.READY_FOR_PICKUP, S.CANCELED}),
    S.READY_FOR_PICKUP: frozenset({S.PICKED_UP, S.CANCELED}),
}


def transitions(shipment: Shipment) -> dict[ShipmentStatus, frozenset[ShipmentStatus]]:
    """The transition table for the shipment's shipping point."""
    return PICKUP_TRANSITIONS if shipment.shipping_point is ShippingPoint.PICKUP else TRANSITIONS


@dataclass(frozen=True)
class FulfillRequest:
    lines: tuple[ShipmentLineRequest, ...] | None = None
    carrier: str | None = None
    #: A shipping app bought the label through a carrier, which then drives the shipment.
    label_purchased: bool = False
    #: None: LOCAL.
    shipping_point: ShippingPoint | None = None
    #: Given, the units ship under it at once (as addTrackingNumber); INTERNATIONAL needs one.
    tracking_number: str | None = None


@dataclass(frozen=True)
class ShipmentPlan:
    """The shipment as it will be, and the order's fulfillment status after."""

    shipment: Shipment
    fulfillment_status: FulfillmentStatus


def _after(order: Order, shipment: Shipment) -> FulfillmentStatus:
    others = tuple(s for s in order.shipments if s.id != shipment.id)
    return fulfillment_status(replace(order, shipments=(*others, shipment)))


def _canceled(order: Order) -> DomainError:
    return DomainError(ErrorCode.ORDER_CANCELED, "The order is canceled; it takes no shipments.",
                       order_status=order.status.value)


def check_fulfill_allowed(order: Order) -> DomainError | None:
    """An order takes a new shipment while it is open and has units not in one."""
    if order.status is OrderStatus.CANCELED:
        return _canceled(order)
    if not any(unshipped_quantity(order, line) for line in order.lines):
        return DomainError(ErrorCode.NOTHING_TO_FULFILL, "Every unit of this order is already in a shipment.")
    return None


def plan_fulfill(order: Order, request: FulfillRequest, *, shipment_id: str) -> ShipmentPlan | DomainError:
    """A shipment awaiting dispatch for the chosen units (default: all not yet in a shipment)."""
    if error := check_fulfill_allowed(order):
        return error
    lines = shipment_lines(order, request.lines)
    if isinstance(lines, DomainError):
        return lines
    point = request.shipping_point or ShippingPoint.LOCAL
    given_carrier = bool(request.carrier and request.carrier.strip())
    given_number = bool(request.tracking_number and request.tracking_number.strip())
    if point is ShippingPoint.PICKUP:
        # The manual's In Store Pickup: the customer collects the parcel, no carrier carries it.
        if given_carrier or given_number or request.label_purchased:
            return invalid_input("shippingPoint", "a pickup in store has no carrier, tracking number or label")
        shipment = Shipment(id=shipment_id, status=S.READY_FOR_PICKUP, lines=lines, shipping_point=point)
        return ShipmentPlan(shipment=shipment, fulfillment_status=_after(order, shipment))
    if point is ShippingPoint.INTERNATIONAL and not (given_carrier and given_number):
        return invalid_input("trackingNumber" if given_carrier else "carrier",
                             "an international shipment needs its carrier and tracking number")
    number = None
    if given_number:
        number = normalize_tracking_number(request.tracking_number or "")
        if isinstance(number, DomainError):
            return number
        if number in order.tracking_numbers:
            return DomainError(ErrorCode.DUPLICATE_TRACKING_NUMBER, f"{number} is already on this order.")
    # As addTrackingNumber: a number names its carrier when none is given.
    carrier = clean_carrier(request.carrier, number or "") if given_carrier or number else None
    if isinstance(carrier, DomainError):
        return carrier
    if request.label_purchased and not given_carrier:
        return invalid_input("carrier", "a shipment with a purchased label needs its carrier")
    shipment = Shipment(id=shipment_id, status=S.SHIPPED if number else S.AWAITING_SHIPMENT, lines=lines,
                        carrier=carrier, tracking_number=number,
                        tracking_url=tracking_url_for(carrier, number) if number else None,
                        label_purchased=request.label_purchased, shipping_point=point)
    return ShipmentPlan(shipment=shipment, fulfillment_status=_after(order, shipment))


@dataclass(frozen=True)
class ShipmentUpdate:
    """Fields to change; None leaves a field as it is."""

    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    status: ShipmentStatus | None = None
    estimated_delivery: date | None = None


def _find(order: Order, shipment_id: str) -> Shipment | DomainError:
    shipment = order.shipment(shipment_id)
    if shipment is None:
        return DomainError(ErrorCode.SHIPMENT_NOT_FOUND, "No shipment with this id is on the order.",
                           field="shipmentId")
    return shipment


def check_transition(shipment: Shipment, to: ShipmentStatus) -> DomainError | None:
    """A status change must be in the transition table of the shipment's shipping point."""
    if to in transitions(shipment)[shipment.status]:
        return None
    return DomainError(
        ErrorCode.INVALID_SHIPMENT_TRANSITION,
        f"A shipment cannot go from {shipment.status.value} to {to.value}.",
        shipment_status=shipment.status.value, requested_status=to.value,
    )


def carrier_managed(shipment: Shipment) -> DomainError:
    """The refusal for changing by hand a shipment a carrier handles (the store-builder manual:
    carrier-handled shipments cannot be edited, voided or canceled; the carrier's tracking moves them)."""
    carrier = f"A carrier ({shipment.carrier})" if shipment.carrier else "A carrier"
    return DomainError(ErrorCode.SHIPMENT_CARRIER_MANAGED,
                       f"{carrier} handles this shipment: its label was bought through it, and its tracking moves "
                       "the shipment. It cannot be edited, voided or canceled here.", shipment_id=shipment.id)


def check_shipment_editable(order: Order, shipment: Shipment) -> DomainError | None:
    """Only shipments created by hand, and not voided, can be edited: a carrier drives the others."""
    if order.status is OrderStatus.CANCELED:
        return _canceled(order)
    if shipment.status is S.CANCELED:
        return DomainError(ErrorCode.SHIPMENT_NOT_EDITABLE, "This shipment was voided.")
    if shipment.label_purchased:
        return carrier_managed(shipment)
    return None


def plan_update_shipment(
    order: Order, shipment_id: str, update: ShipmentUpdate, *, today: date
) -> ShipmentPlan | DomainError:
    """Edit a hand-made shipment: carrier, tracking, status (by the table), estimated delivery."""
    shipment = _find(order, shipment_id)
    if isinstance(shipment, DomainError):
        return shipment
    if error := check_shipment_editable(order, shipment):
        return error
    if update.status is S.CANCELED:
        return invalid_input("status", "use voidShipment to cancel a shipment")
    changed = shipment
    if update.status is not None and update.status is not shipment.status:
        if error := check_transition(shipment, update.status):
            return error
        if error := check_not_back(order, shipment, update.status):
            return error
        changed = replace(changed, status=update.status)
    if shipment.shipping_point is ShippingPoint.PICKUP and (update.tracking_number or update.carrier):
        return invalid_input("shippingPoint", "a pickup in store has no carrier or tracking number")
    if update.tracking_number is not None:
        number = normalize_tracking_number(update.tracking_number)
        if isinstance(number, DomainError):
            return number
        if number != shipment.tracking_number and number in order.tracking_numbers:
            return DomainError(ErrorCode.DUPLICATE_TRACKING_NUMBER, f"{number} is already on this order.")
        changed = replace(changed, tracking_number=number)
    if update.carrier is not None:
        carrier = clean_carrier(update.carrier, changed.tracking_number or "")
        if isinstance(carrier, DomainError):
            return carrier
        changed = replace(changed, carrier=carrier or None)
    if update.tracking_url is not None:
        url = update.tracking_url.strip() or None
        if url is not None and (error := check_url(url)):
            return error
        changed = replace(changed, tracking_url=url)
    elif changed.tracking_number and (update.tracking_number is not None or update.carrier is not None):
        changed = replace(changed, tracking_url=tracking_url_for(changed.carrier, changed.tracking_number)
                          or shipment.tracking_url)
    if update.estimated_delivery is not None:
        if update.estimated_delivery < today - _ONE_YEAR or update.estimated_delivery > today + _ONE_YEAR:
            return invalid_input("estimatedDelivery", "the estimated delivery must be within a year of today")
        changed = replace(changed, estimated_delivery=update.estimated_delivery)
    if changed == shipment:
        return invalid_input("input", "nothing to change")
    return ShipmentPlan(shipment=changed, fulfillment_status=_after(order, changed))


def plan_mark_delivered(order: Order, shipment_id: str) -> ShipmentPlan | DomainError:
    """Mark a shipment delivered (a pickup: collected), if the table allows it from where it is."""
    shipment = _find(order, shipment_id)
    if isinstance(shipment, DomainError):
        return shipment
    if order.status is OrderStatus.CANCELED:
        return _canceled(order)
    if shipment.label_purchased and shipment.status is not S.CANCELED:
        return carrier_managed(shipment)
    final = S.PICKED_UP if shipment.shipping_point is ShippingPoint.PICKUP else S.DELIVERED
    if error := check_transition(shipment, final) or check_not_back(order, shipment, final):
        return error
    delivered = replace(shipment, status=final)
    return ShipmentPlan(shipment=delivered, fulfillment_status=_after(order, delivered))


def _came_back(order: Order, shipment: Shipment, to: ShipmentStatus) -> bool:
    """Whether moving the shipment to ``to`` would leave units that came back to the sender without the
    failed delivery they came back from."""
    moved = replace(shipment, status=to)
    return returns_outrun_shipments(replace(order, shipments=tuple(moved if s.id == shipment.id else s
                                                                   for s in order.shipments)))


def check_not_back(order: Order, shipment: Shipment, to: ShipmentStatus) -> DomainError | None:
    """A shipment whose units came back to the store after its delivery failed (``RETURNED_TO_SENDER``)
    goes nowhere: the parcel is no longer with the carrier."""
    if not _came_back(order, shipment, to):
        return None
    return DomainError(
        ErrorCode.INVALID_SHIPMENT_TRANSITION,
        "Units of this shipment came back to the store after its delivery failed: it cannot move on.",
        shipment_status=shipment.status.value, requested_status=to.value)


def plan_void_shipment(order: Order, shipment_id: str) -> ShipmentPlan | DomainError:
    """Void a hand-made shipment that has not left, freeing its units. One that shipped stays shipped
    (the manual: a confirmed step cannot be reset), and a carrier handles its own."""
    shipment = _find(order, shipment_id)
    if isinstance(shipment, DomainError):
        return shipment
    if shipment.status is S.CANCELED:
        return check_transition(shipment, S.CANCELED)
    if shipment.label_purchased:
        return carrier_managed(shipment)
    if shipment.status not in NOT_LEFT:
        done = "collected in store" if shipment.status is S.PICKED_UP else "marked shipped"
        return DomainError(ErrorCode.SHIPMENT_ALREADY_SHIPPED,
                           f"The shipment is {done}, and a confirmed step cannot be reset: it cannot be voided.",
                           shipment_status=shipment.status.value)
    voided = replace(shipment, status=S.CANCELED)
    return ShipmentPlan(shipment=voided, fulfillment_status=_after(order, voided))



def plan_tracking_update(order: Order, shipment_id: str, status: ShipmentStatus | None,
                         estimated_delivery: date | None) -> ShipmentPlan | None:
    """What a carrier's tracking says, applied through the transition table: a move the table allows, or a
    new estimated delivery. None when it changes nothing: a status the shipment is in already, one the
    table does not allow from where it is (a late or out-of-order scan), or a voided shipment."""
    shipment = order.shipment(shipment_id)
    if shipment is None or shipment.status is S.CANCELED:
        return None
    changed = shipment
    if (status is not None and status is not shipment.status and status in transitions(shipment)[shipment.status]
            and not _came_back(order, shipment, status)):
        changed = replace(changed, status=status)
    if estimated_delivery is not None and estimated_delivery != shipment.estimated_delivery:
        changed = replace(changed, estimated_delivery=estimated_delivery)
    if changed == shipment:
        return None
    return ShipmentPlan(shipment=changed, fulfillment_status=_after(order, changed))


def plan_hand_back(order: Order, shipment_id: str) -> ShipmentPlan | None:
    """A carrier-handled shipment whose carrier the store disconnected: its tracking no longer comes, so the
    store moves it by hand from now on. None when it is not carrier-handled, or already final."""
    shipment = order.shipment(shipment_id)
    if shipment is None or not shipment.label_purchased or not transitions(shipment)[shipment.status]:
        return None
    handed = replace(shipment, label_purchased=False)
    return ShipmentPlan(shipment=handed, fulfillment_status=_after(order, handed))
