"""GraphQL documents and small helpers the API tests share."""

from __future__ import annotations

from typing import Any

ORDER_FIELDS = """
  id number status paymentStatus fulfillmentStatus currency test
  customer { email name }
  subtotal { amount currency } shipping { amount } duties { amount } taxes { amount }
  total { amount currency } totalPaid { amount } totalRefunded { amount }
  refundable { subtotal { amount } shipping { amount } duties { amount } taxes { amount } total { amount } }
  lines { id sku quantity unitPrice { amount } fulfilledQuantity unfulfilledQuantity refundedQuantity refundableQuantity
          returnedQuantity }
  shipments { id status carrier trackingNumber trackingUrl lines { lineId quantity } }
  refunds { id total { amount currency } subtotal { amount } shipping { amount } reason lines { lineId quantity } }
  notes { body author { kind name } }
  events { type message actor { kind name } createdAt }
  availableActions {
    cancel { allowed reason { code message } }
    refund { allowed reason { code message } }
    addTrackingNumber { allowed reason { code message } }
    addNote { allowed reason { code } }
    fulfill { allowed reason { code message } }
    returnOrder { allowed reason { code message } }
    updateShippingAddress { allowed reason { code message } }
    recordSupplierOrder { allowed reason { code message } }
    settlePayment { allowed reason { code message } }
  }
"""

_ERROR_EXTRAS = {
    "RefundExceedsRefundableError":
        "field maximumRefundable { subtotal { amount } shipping { amount } taxes { amount } total { amount } }",
    "QuantityExceedsAvailableError": "lineId available",
    "LineNotFoundError": "lineId",
    "InvalidAmountError": "field",
    "InvalidInputError": "field",
    "NoteTooLongError": "maxLength",
    "OrderCanceledError": "orderStatus",
    "OrderNumberTakenError": "field",
}


def error_fields(*types: str) -> str:
    """Fragments for the error types of one result union (GraphQL refuses others)."""
    return "... on Error { code message }\n" + "\n".join(f"... on {t} {{ {_ERROR_EXTRAS[t]} }}" for t in types)

CREATE = f"""
mutation($input: CreateOrderInput!) {{
  createOrder(input: $input) {{
    __typename
    ... on CreateOrderSuccess {{ customerAccessToken order {{ {ORDER_FIELDS} }} }}
    {error_fields("InvalidInputError", "InvalidAmountError", "OrderNumberTakenError")}
  }}
}}"""

CANCEL = f"""
mutation($input: CancelOrderInput!) {{
  cancelOrder(input: $input) {{
    __typename
    ... on CancelOrderSuccess {{ refund {{ id total {{ amount }} lines {{ lineId quantity }} }} order {{ {ORDER_FIELDS} }} }}
    {error_fields("OrderCanceledError", "InvalidInputError")}
  }}
}}"""

REFUND = f"""
mutation($input: RefundOrderInput!) {{
  refundOrder(input: $input) {{
    __typename
    ... on RefundOrderSuccess {{
      refund {{ id total {{ amount currency }} subtotal {{ amount }} shipping {{ amount }} fee {{ amount }}
               adjustment {{ amount }} lines {{ lineId quantity amount {{ amount }} restock }} }}
      order {{ {ORDER_FIELDS} }}
    }}
    {error_fields("RefundExceedsRefundableError", "QuantityExceedsAvailableError", "LineNotFoundError",
                  "InvalidAmountError", "InvalidInputError", "OrderCanceledError")}
  }}
}}"""

TRACK = f"""
mutation($input: AddTrackingNumberInput!) {{
  addTrackingNumber(input: $input) {{
    __typename
    ... on AddTrackingNumberSuccess {{ shipment {{ id status carrier trackingNumber trackingUrl lines {{ lineId quantity }} }}
                                       order {{ {ORDER_FIELDS} }} }}
    {error_fields("QuantityExceedsAvailableError", "LineNotFoundError", "InvalidInputError", "OrderCanceledError")}
  }}
}}"""

NOTE = f"""
mutation($input: AddNoteInput!) {{
  addNote(input: $input) {{
    __typename
    ... on AddNoteSuccess {{ note {{ id body author {{ kind name }} }} order {{ {ORDER_FIELDS} }} }}
    {error_fields("NoteTooLongError")}
  }}
}}"""

REQUEST = """
mutation($input: RequestCancellationInput!) { requestCancellation(input: $input) {
  __typename ... on Error { code message }
  ... on RequestCancellationSuccess { outcome order { status paymentStatus refunds { total { amount } } } }
} }"""

APPROVE = """
mutation($input: ApproveCancellationRequestInput!) { approveCancellationRequest(input: $input) {
  __typename ... on Error { code message }
  ... on ApproveCancellationRequestSuccess { refund { total { amount } } order { status paymentStatus } }
} }"""

DECLINE = """
mutation($input: DeclineCancellationRequestInput!) { declineCancellationRequest(input: $input) {
  __typename ... on Error { code message }
  ... on DeclineCancellationRequestSuccess { order { status } }
} }"""

ORDER = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"


def order_input(**overrides: Any) -> dict[str, Any]:
    """A paid USD order: 10 mugs at 12.50, shipping 5.00, duties 1.00, taxes 10.00 (total 141.00)."""
    base: dict[str, Any] = {
        "currency": "USD",
        "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
        "lines": [{"sku": "MUG", "name": "Mug", "quantity": 10, "unitPrice": "12.50"}],
        "shipping": "5.00",
        "duties": "1.00",
        "taxes": "10.00",
    }
    base.update(overrides)
    return base


async def create_order(store, **overrides: Any) -> dict[str, Any]:
    return (await create_order_with_token(store, **overrides))[0]


async def create_order_with_token(store, **overrides: Any) -> tuple[dict[str, Any], str]:
    """A new order and its customer access token."""
    result = (await store.gql(CREATE, {"input": order_input(**overrides)}))["createOrder"]
    assert result["__typename"] == "CreateOrderSuccess", result
    return result["order"], result["customerAccessToken"]


def amount(money: dict[str, Any]) -> str:
    return money["amount"]


NOTIFICATIONS = """query($id: ID!) { order(id: $id) {
  notifications { template audience recipient status attempts sentAt messageId error }
  events { type message actor { kind name } }
} }"""


async def notifications_of(store, order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's emails as staff see them."""
    return (await store.gql(NOTIFICATIONS, {"id": order["id"]}))["order"]["notifications"]


async def event_types(store, order: dict[str, Any]) -> list[str]:
    """The order's timeline, oldest first."""
    return [e["type"] for e in (await store.gql(NOTIFICATIONS, {"id": order["id"]}))["order"]["events"]]
