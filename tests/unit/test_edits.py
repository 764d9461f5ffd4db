from domain.access import Actor, ActorKind
from domain.creation import Address, Customer
from domain.edits import (
    AddressWarning,
    NoteRef,
    may_edit_note,
    plan_change_customer,
    plan_update_addresses,
    plan_update_order_number,
)
from domain.errors import ErrorCode
from domain.orders import OrderStatus, ShipmentStatus
from tests.unit.builders import order, shipment

HOME = Address(line1="1 Main St", city="Springfield", country_code="us")


def test_a_new_order_number_is_trimmed_and_must_differ():
    assert plan_update_order_number(order(), "  W-1  ") == "W-1"
    assert plan_update_order_number(order(), "1001").code is ErrorCode.INVALID_INPUT
    assert plan_update_order_number(order(), " ").field == "number"
    assert plan_update_order_number(order(), "x" * 41).field == "number"


def test_changing_the_shipping_address_warns_about_fraud_protection_and_landed_cost():
    plan = plan_update_addresses(order(taxes="2.00"), shipping=HOME, billing=None)
    assert plan.shipping.country_code == "US" and plan.change_shipping and not plan.change_billing
    assert plan.warnings == (AddressWarning.FRAUD_PROTECTION_MAY_BE_VOID, AddressWarning.LANDED_COST_MAY_BE_INACCURATE)
    billing_only = plan_update_addresses(order(), shipping=None, billing=HOME)
    assert billing_only.warnings == (AddressWarning.FRAUD_PROTECTION_MAY_BE_VOID,)


def test_the_shipping_address_is_final_once_canceled_or_shipped_but_billing_is_not():
    canceled = order(status=OrderStatus.CANCELED)
    assert plan_update_addresses(canceled, shipping=HOME, billing=None).code is ErrorCode.ORDER_CANCELED
    shipped = order(shipments=(shipment(ShipmentStatus.IN_TRANSIT, ("L1", 1)),))
    assert plan_update_addresses(shipped, shipping=HOME, billing=None).code is ErrorCode.ORDER_SHIPPED
    assert plan_update_addresses(shipped, shipping=None, billing=HOME).billing.city == "Springfield"
    awaiting = order(shipments=(shipment(ShipmentStatus.AWAITING_SHIPMENT, ("L1", 1)),))
    assert plan_update_addresses(awaiting, shipping=HOME, billing=None).change_shipping


def test_addresses_are_validated_and_one_is_needed():
    assert plan_update_addresses(order(), shipping=None, billing=None).code is ErrorCode.INVALID_INPUT
    bad = plan_update_addresses(order(), shipping=Address(country_code="USA"), billing=None)
    assert bad.field == "shippingAddress.countryCode"


def test_the_customer_needs_a_valid_email():
    assert plan_change_customer(Customer(email=" bo@example.com ", name=" Bo ")) == Customer("bo@example.com", "Bo")
    assert plan_change_customer(Customer(email="nope")).field == "customer.email"


def test_notes_are_edited_by_their_author_or_a_note_manager():
    author = Actor(ActorKind.STAFF, "k1", "Jo")
    other = Actor(ActorKind.STAFF, "k2", "Sam")
    note = NoteRef("n1", "k1")
    assert may_edit_note(note, author, can_manage_notes=False)
    assert not may_edit_note(note, other, can_manage_notes=False)
    assert may_edit_note(note, other, can_manage_notes=True)
    assert not may_edit_note(NoteRef("n2", None), other, can_manage_notes=False)
