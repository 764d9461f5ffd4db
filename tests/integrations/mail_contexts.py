"""Realistic contexts for the email templates, as the worker builds them."""

from __future__ import annotations

import datetime as dt
from typing import Any

ORDER_URL = "https://shop.example/order#tok_abc123"


def context(**overrides: Any) -> dict[str, Any]:
    """A realistic context: two lines, an address, a refund, a tracked shipment."""
    values: dict[str, Any] = {
        "store_name": "Acme Outdoor",
        "test": False,
        "order_url": ORDER_URL,
        "order": {
            "number": "1001", "currency": "USD", "status": "OPEN", "canceled": False,
            "created_at": dt.datetime(2025, 3, 4, 10, 30, tzinfo=dt.timezone.utc),
            "customer_name": "Ada Lovelace", "customer_email": "ada@example.com",
            "subtotal": "67.98", "shipping": "4.95", "duties": "0.00", "taxes": "5.44", "total": "78.37",
            "lines": [
                {"name": "Organic cotton tee, black, M", "sku": "TEE-BLK-M", "quantity": 2,
                 "unit_price": "24.99", "total": "49.98"},
                {"name": "Salt & Pepper mill", "sku": "MILL-1", "quantity": 1, "unit_price": "18.00",
                 "total": "18.00"},
            ],
            "shipping_address": {"name": "Ada Lovelace", "company": None, "line1": "1 Main St", "line2": "Apt 2",
                                 "city": "Springfield", "province": "IL", "postal_code": "62701",
                                 "country_code": "US", "phone": None},
        },
        "refund": {"total": "12.50", "currency": "USD", "reason": "DAMAGED", "status": "FAILED",
                   "failed_amount": "12.50", "failure_reason": "The customer's card was closed (expired_or_canceled_card)."},
        "shipment": {"carrier": "UPS", "tracking_number": "1Z999AA10123456784",
                     "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
                     "status": "IN_TRANSIT", "estimated_delivery": dt.date(2025, 3, 6),
                     "lines": [{"name": "Organic cotton tee, black, M", "quantity": 2}]},
        "cancellation": {"reason": "INVENTORY", "message": "The mill sold out.\nSorry about that!",
                         "refund_total": "78.37"},
        "returned": {"units": 2, "undelivered": False},
    }
    values.update(overrides)
    return values


def minimal_context() -> dict[str, Any]:
    """As little as a message can have: no link, no name, no address, no tracking, yen."""
    base = context()
    return context(
        store_name="Shop", order_url=None,
        order={**base["order"], "currency": "JPY", "customer_name": None, "shipping_address": None,
               "subtotal": "2400", "shipping": "0", "duties": "0", "taxes": "0", "total": "2400",
               "lines": [{"name": "Tea", "sku": "TEA", "quantity": 1, "unit_price": "2400", "total": "2400"}]},
        refund={"total": "2400", "currency": "JPY", "reason": None, "status": "FAILED", "failed_amount": "2400",
                "failure_reason": None},
        shipment={"carrier": None, "tracking_number": None, "tracking_url": None, "status": "SHIPPED",
                  "estimated_delivery": None, "lines": []},
        cancellation={"reason": None, "message": None, "refund_total": None},
        returned={"units": 1, "undelivered": False},
    )
