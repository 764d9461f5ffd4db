from tests.api.helpers import CREATE, create_order, order_input


async def test_an_order_is_created_paid_open_unfulfilled_with_exact_amounts(store):
    order = await create_order(store)
    assert (order["status"], order["paymentStatus"], order["fulfillmentStatus"]) == ("OPEN", "PAID", "UNFULFILLED")
    assert order["subtotal"]["amount"] == "125.00"
    assert order["total"] == {"amount": "141.00", "currency": "USD"}
    assert order["totalPaid"]["amount"] == "141.00" and order["totalRefunded"]["amount"] == "0.00"
    assert order["number"] == "1001"
    assert [e["type"] for e in order["events"]] == ["ORDER_CREATED"]
    assert order["events"][0]["actor"] == {"kind": "STAFF", "name": "Test staff"}


async def test_numbers_are_assigned_in_sequence_and_given_numbers_are_kept(store):
    assert (await create_order(store))["number"] == "1001"
    assert (await create_order(store, number="  W-77 "))["number"] == "W-77"
    assert (await create_order(store))["number"] == "1002"


async def test_a_taken_number_is_refused(store):
    await create_order(store, number="A1")
    result = (await store.gql(CREATE, {"input": order_input(number="A1")}))["createOrder"]
    assert result["__typename"] == "OrderNumberTakenError" and result["field"] == "number"


async def test_a_customer_access_token_comes_with_the_order(store):
    result = (await store.gql(CREATE, {"input": order_input()}))["createOrder"]
    assert result["customerAccessToken"].startswith("ogc_")


async def test_unpaid_and_jpy_orders(store):
    unpaid = await create_order(store, amountPaid="0")
    assert unpaid["paymentStatus"] == "UNPAID"
    jpy = await create_order(store, currency="JPY", lines=[{"sku": "C", "name": "Cup", "quantity": 2, "unitPrice": "2400"}],
                             shipping="800", duties="0", taxes="480")
    assert jpy["total"] == {"amount": "6080", "currency": "JPY"}


async def test_invalid_input_is_typed_and_creates_nothing(store):
    cases = [
        (order_input(currency="ZZZ"), "InvalidInputError", "currency"),
        (order_input(lines=[]), "InvalidInputError", "lines"),
        (order_input(shipping="-5"), "InvalidAmountError", "shipping"),
        (order_input(taxes="1.001"), "InvalidAmountError", "taxes"),
        (order_input(lines=[{"sku": "A", "name": "B", "quantity": 1, "unitPrice": "abc"}]), "InvalidAmountError",
         "lines[0].unitPrice"),
        (order_input(customer={"email": "x" * 5000}), "InvalidInputError", "customer.email"),
        (order_input(amountPaid="1000"), "InvalidAmountError", "amountPaid"),
    ]
    for input, typename, field in cases:
        result = (await store.gql(CREATE, {"input": input}))["createOrder"]
        assert (result["__typename"], result["field"]) == (typename, field), result
    data = await store.gql("{ orders { totalCount } }")
    assert data["orders"]["totalCount"] == 0


async def test_create_with_an_idempotency_key_creates_once(store):
    first = (await store.gql(CREATE, {"input": order_input(idempotencyKey="k1")}))["createOrder"]
    again = (await store.gql(CREATE, {"input": order_input(idempotencyKey="k1")}))["createOrder"]
    assert first["order"]["id"] == again["order"]["id"]
    other = (await store.gql(CREATE, {"input": order_input(idempotencyKey="k1", shipping="6.00")}))["createOrder"]
    assert other["__typename"] == "IdempotencyKeyReusedError"
    assert (await store.gql("{ orders { totalCount } }"))["orders"]["totalCount"] == 1
