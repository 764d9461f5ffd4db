"""GraphQL documents and small helpers the API tests share."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
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
  notifications { template audience channel recipient status attempts sentAt messageId error }
  events { type message actor { kind name } }
} }"""


async def notifications_of(store, order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's emails as staff see them."""
    return (await store.gql(NOTIFICATIONS, {"id": order["id"]}))["order"]["notifications"]


async def event_types(store, order: dict[str, Any]) -> list[str]:
    """The order's timeline, oldest first."""
    return [e["type"] for e in (await store.gql(NOTIFICATIONS, {"id": order["id"]}))["order"]["events"]]


# ---------------------------------------------------------------- payments, currencies and fees

#: The payments ledger, the order's two currencies and its transaction fee, as staff see them.
LEDGER_FIELDS = """
  payments { id provider reference amount { amount currency } status }
  storeCurrency exchangeRate
  transactionFee { total { amount currency } returnable { amount } returned { amount } }
  refunds { id status failureReason instructions total { amount currency } feeReturned { amount }
            parts { provider amount { amount currency } status paymentId reference failureReason retries } }
"""
LEDGER_ORDER_FIELDS = ORDER_FIELDS + LEDGER_FIELDS
LEDGER_ORDER = f"query($id: ID!) {{ order(id: $id) {{ {LEDGER_ORDER_FIELDS} }} }}"

_LEDGER_REFUND = """id status failureReason instructions total { amount currency } subtotal { amount }
  shipping { amount } duties { amount } taxes { amount } feeReturned { amount }
  parts { provider amount { amount currency } status paymentId reference failureReason retries }"""

LEDGER_CREATE = f"""
mutation($input: CreateOrderInput!) {{
  createOrder(input: $input) {{
    __typename
    ... on CreateOrderSuccess {{ customerAccessToken order {{ {LEDGER_ORDER_FIELDS} }} }}
    {error_fields("InvalidInputError", "InvalidAmountError")}
  }}
}}"""

LEDGER_REFUND = f"""
mutation($input: RefundOrderInput!) {{
  refundOrder(input: $input) {{
    __typename
    ... on RefundOrderSuccess {{ refund {{ {_LEDGER_REFUND} }} order {{ {LEDGER_ORDER_FIELDS} }} }}
    ... on PaymentProviderNotConfiguredError {{ provider }}
    {error_fields("RefundExceedsRefundableError", "InvalidAmountError", "InvalidInputError")}
  }}
}}"""

LEDGER_CANCEL = f"""
mutation($input: CancelOrderInput!) {{
  cancelOrder(input: $input) {{
    __typename
    ... on CancelOrderSuccess {{ refund {{ {_LEDGER_REFUND} }} order {{ {LEDGER_ORDER_FIELDS} }} }}
    ... on PaymentProviderNotConfiguredError {{ provider }}
    {error_fields("OrderCanceledError", "InvalidInputError")}
  }}
}}"""

_ACCOUNT = "provider keyHint livemode webhookConfigured webhookPath connectedAt updatedAt"

CONFIGURE_PROVIDER = f"""
mutation($input: ConfigurePaymentProviderInput!) {{
  configurePaymentProvider(input: $input) {{
    __typename
    ... on ConfigurePaymentProviderSuccess {{ account {{ {_ACCOUNT} }} }}
    {error_fields("InvalidInputError")}
  }}
}}"""

PAYMENT_SETTINGS = f"{{ paymentSettings {{ refundAmountsIn providers {{ {_ACCOUNT} }} }} }}"

UPDATE_PAYMENT_SETTINGS = f"""
mutation($input: UpdatePaymentSettingsInput!) {{
  updatePaymentSettings(input: $input) {{
    __typename
    ... on UpdatePaymentSettingsSuccess {{ paymentSettings {{ refundAmountsIn providers {{ {_ACCOUNT} }} }} }}
    {error_fields("InvalidInputError")}
  }}
}}"""

#: A Stripe test key as the dashboard shows it (never a real one).
STRIPE_TEST_KEY = "sk_test_51OrdergraphTestKey0000abcd"


async def create_ledger_order(store, **overrides: Any) -> dict[str, Any]:
    """A new order (``order_input`` with ``overrides``), read back with its ledger."""
    result = (await store.gql(LEDGER_CREATE, {"input": order_input(**overrides)}))["createOrder"]
    assert result["__typename"] == "CreateOrderSuccess", result
    return result["order"]


async def ledger_order(store, order: dict[str, Any]) -> dict[str, Any]:
    """The order as it is now, with its ledger."""
    return (await store.gql(LEDGER_ORDER, {"id": order["id"]}))["order"]


async def connect_stripe(store, secret_key: str = STRIPE_TEST_KEY, webhook_secret: str | None = None) -> dict[str, Any]:
    """Connect the store's Stripe account; the account as the answer shows it."""
    result = (await store.gql(CONFIGURE_PROVIDER, {"input": {"provider": "STRIPE", "secretKey": secret_key,
                                                             "webhookSecret": webhook_secret}}))
    answer = result["configurePaymentProvider"]
    assert answer["__typename"] == "ConfigurePaymentProviderSuccess", answer
    return answer["account"]


def stripe_paid(amount: str = "141.00", reference: str = "pi_3OrdergraphTest") -> list[dict[str, Any]]:
    """``payments`` of an order paid in one Stripe payment."""
    return [{"provider": "STRIPE", "reference": reference, "amount": amount}]


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """The SQL statements Tortoise's connection runs inside the block (hand-written ones included)."""
    queries: list[str] = []

    class Counter(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if message.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
                queries.append(message)

    logger = logging.getLogger("tortoise.db_client")
    handler, level = Counter(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield queries
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
