from tests.api.helpers import ORDER, REFUND, create_order, notifications_of


def refund_input(order, key="r1", **kw):
    return {"input": {"orderId": order["id"], "reason": "CUSTOMER_REQUEST", "idempotencyKey": key, **kw}}


async def test_a_partial_refund_by_line_quantity(store):
    order = await create_order(store)
    line = order["lines"][0]
    result = (await store.gql(REFUND, refund_input(order, lines=[{"lineId": line["id"], "quantity": 2, "restock": True}])))["refundOrder"]
    assert result["__typename"] == "RefundOrderSuccess"
    assert result["refund"]["total"] == {"amount": "25.00", "currency": "USD"}
    assert result["refund"]["lines"] == [{"lineId": line["id"], "quantity": 2, "amount": {"amount": "25.00"}, "restock": True}]
    after = result["order"]
    assert after["paymentStatus"] == "PARTIALLY_REFUNDED"
    assert after["totalRefunded"]["amount"] == "25.00"
    assert after["refundable"]["subtotal"]["amount"] == "100.00"
    assert after["refundable"]["total"]["amount"] == "116.00"
    assert after["lines"][0]["refundedQuantity"] == 2 and after["lines"][0]["refundableQuantity"] == 8
    # The two units had not shipped: they go back to stock, and the inventory hears of it.
    assert [e["type"] for e in after["events"]][-2:] == ["REFUND_ISSUED", "INVENTORY_RESTOCKED"]
    assert "MUG x2" in after["events"][-1]["message"]


async def test_a_refund_by_components_with_fee_and_adjustment(store):
    order = await create_order(store)
    result = (await store.gql(REFUND, refund_input(order, shipping="5.00", taxes="2.00", adjustment="3.00", fee="1.00")))["refundOrder"]
    assert result["refund"]["total"]["amount"] == "9.00"
    assert result["order"]["refundable"]["shipping"]["amount"] == "0.00"


async def test_refunding_everything_leaves_the_order_refunded_and_nothing_more_to_refund(store):
    order = await create_order(store)
    line = order["lines"][0]
    result = (await store.gql(REFUND, refund_input(
        order, lines=[{"lineId": line["id"], "quantity": 10}], shipping="5.00", duties="1.00", taxes="10.00")))["refundOrder"]
    assert result["order"]["paymentStatus"] == "REFUNDED"
    assert result["order"]["availableActions"]["refund"]["reason"]["code"] == "NOTHING_TO_REFUND"
    again = (await store.gql(REFUND, refund_input(order, key="r2", shipping="0.01")))["refundOrder"]
    assert again["__typename"] == "NothingToRefundError"


async def test_exceeding_a_component_carries_the_maximum_refundable_and_changes_nothing(store):
    order = await create_order(store)
    result = (await store.gql(REFUND, refund_input(order, shipping="5.01")))["refundOrder"]
    assert result["__typename"] == "RefundExceedsRefundableError" and result["code"] == "REFUND_EXCEEDS_REFUNDABLE"
    assert result["field"] == "shipping"
    assert result["maximumRefundable"]["shipping"]["amount"] == "5.00"
    assert result["maximumRefundable"]["total"]["amount"] == "141.00"
    after = (await store.gql(ORDER, {"id": order["id"]}))["order"]
    assert after["refunds"] == [] and after["paymentStatus"] == "PAID"


async def test_line_errors_name_the_line(store):
    order = await create_order(store)
    line = order["lines"][0]
    over = (await store.gql(REFUND, refund_input(order, lines=[{"lineId": line["id"], "quantity": 11}])))["refundOrder"]
    assert over["__typename"] == "QuantityExceedsAvailableError"
    assert (over["lineId"], over["available"]) == (line["id"], 10)
    other = await create_order(store)
    foreign = (await store.gql(REFUND, refund_input(order, key="r2", lines=[{"lineId": other["lines"][0]["id"], "quantity": 1}])))["refundOrder"]
    assert foreign["__typename"] == "LineNotFoundError" and foreign["lineId"] == other["lines"][0]["id"]
    garbage = (await store.gql(REFUND, refund_input(order, key="r3", lines=[{"lineId": "not-an-id", "quantity": 1}])))["refundOrder"]
    assert garbage["__typename"] == "LineNotFoundError" and garbage["lineId"] == "not-an-id"


async def test_bad_amounts_are_invalid_amount(store):
    order = await create_order(store)
    for value in ["-1", "1.001", "abc", "", "1e400", "9" * 30]:
        result = (await store.gql(REFUND, refund_input(order, taxes=value)))["refundOrder"]
        assert result["__typename"] == "InvalidAmountError" and result["field"] == "taxes", (value, result)


async def test_amounts_follow_the_currency_decimals(store):
    jpy = await create_order(store, currency="JPY", lines=[{"sku": "C", "name": "Cup", "quantity": 2, "unitPrice": "2400"}],
                             shipping="800", duties="0", taxes="0")
    bad = (await store.gql(REFUND, refund_input(jpy, shipping="0.50")))["refundOrder"]
    assert bad["__typename"] == "InvalidAmountError"
    good = (await store.gql(REFUND, refund_input(jpy, key="r2", shipping="500")))["refundOrder"]
    assert good["refund"]["total"] == {"amount": "500", "currency": "JPY"}
    kwd = await create_order(store, currency="KWD", lines=[{"sku": "D", "name": "Dates", "quantity": 1, "unitPrice": "4.250"}],
                             shipping="0.750", duties="0", taxes="0")
    ok = (await store.gql(REFUND, refund_input(kwd, key="r3", shipping="0.125")))["refundOrder"]
    assert ok["refund"]["total"] == {"amount": "0.125", "currency": "KWD"}


async def test_unpaid_and_platform_managed_orders_are_refused(store):
    unpaid = await create_order(store, amountPaid="0")
    assert (await store.gql(REFUND, refund_input(unpaid, shipping="1")))["refundOrder"]["__typename"] == "OrderNotPaidError"
    managed = await create_order(store, paymentsManagedExternally=True)
    result = (await store.gql(REFUND, refund_input(managed, key="r2", shipping="1")))["refundOrder"]
    assert result["__typename"] == "ManagedExternallyError" and result["code"] == "MANAGED_EXTERNALLY"
    assert managed["availableActions"]["refund"]["reason"]["code"] == "MANAGED_EXTERNALLY"


async def test_a_partially_paid_order_refunds_at_most_what_was_paid(store):
    order = await create_order(store, amountPaid="50.00")
    assert order["paymentStatus"] == "PARTIALLY_PAID"
    over = (await store.gql(REFUND, refund_input(order, subtotal="50.01")))["refundOrder"]
    assert over["__typename"] == "RefundExceedsRefundableError"
    ok = (await store.gql(REFUND, refund_input(order, key="r2", subtotal="50.00")))["refundOrder"]
    assert ok["order"]["paymentStatus"] == "REFUNDED"


async def test_a_retry_with_the_same_key_returns_the_first_refund_and_refunds_nothing_more(store):
    order = await create_order(store)
    first = (await store.gql(REFUND, refund_input(order, key="same", shipping="2.00")))["refundOrder"]
    retry = (await store.gql(REFUND, refund_input(order, key="same", shipping="2.00")))["refundOrder"]
    assert retry["__typename"] == "RefundOrderSuccess"
    assert retry["refund"]["id"] == first["refund"]["id"]
    assert retry["order"]["totalRefunded"]["amount"] == "2.00"
    reused = (await store.gql(REFUND, refund_input(order, key="same", shipping="3.00")))["refundOrder"]
    assert reused["__typename"] == "IdempotencyKeyReusedError"
    other = await create_order(store)
    elsewhere = (await store.gql(REFUND, refund_input(other, key="same", shipping="2.00")))["refundOrder"]
    assert elsewhere["__typename"] == "IdempotencyKeyReusedError"


async def test_an_idempotency_key_is_required_and_checked(store):
    order = await create_order(store)
    response = await store.post(REFUND, {"input": {"orderId": order["id"], "reason": "OTHER", "shipping": "1"}})
    assert response.status_code < 500 and "errors" in response.json()
    long_key = (await store.gql(REFUND, refund_input(order, key="k" * 256, shipping="1")))["refundOrder"]
    assert long_key["__typename"] == "InvalidInputError" and long_key["field"] == "idempotencyKey"


async def test_a_refund_emails_the_customer_unless_told_not_to(store, deliver):
    order = await create_order(store, notifyCustomer=False)
    await store.gql(REFUND, refund_input(order, key="a", shipping="1.00"))
    await store.gql(REFUND, refund_input(order, key="b", shipping="2.00", notifyCustomer=False))
    await deliver()
    sent = await notifications_of(store, order)
    assert [(n["template"], n["recipient"], n["status"]) for n in sent] == [("REFUND_ISSUED", "ada@example.com", "SENT")]
    (mail,) = deliver.mail()
    assert "1.00 USD" in mail.get_body(("plain",)).get_content()


async def test_an_unknown_or_garbage_order_id_is_order_not_found(store):
    for bad in ["T3JkZXI6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw", "garbage", "", "T3JkZXI6eA=="]:
        result = (await store.gql(REFUND, {"input": {"orderId": bad, "reason": "OTHER", "idempotencyKey": bad or "x",
                                                      "shipping": "1"}}))["refundOrder"]
        assert result["__typename"] == "OrderNotFoundError", (bad, result)
