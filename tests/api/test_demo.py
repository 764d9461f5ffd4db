"""The demo store `make serve` seeds: every state a newcomer wants to try, reachable over the API."""

from app.demo import seed_demo_store
from resolvers.keys import new_api_key
from tests.conftest import Store

SECRET = b"test-secret-key"  # the test app's (see conftest)


async def test_the_demo_store_has_an_order_in_each_state_and_a_request_waiting(http):
    store_id = await seed_demo_store(SECRET)
    assert store_id is not None
    assert await seed_demo_store(SECRET) is None  # seeded once
    made = await new_api_key(store_id, kind="STAFF", name="Demo", permissions=None)
    assert isinstance(made, tuple)
    staff = Store(store_id, made[1], http)
    data = await staff.gql("{ orders(first: 20, filter: {test: null}, sort: {field: NUMBER, direction: ASC}) { "
                           "nodes { number status paymentStatus fulfillmentStatus "
                           "cancellationRequest { status comment } } } }")
    by_number = {o["number"]: o for o in data["orders"]["nodes"]}
    assert sorted(by_number) == [str(n) for n in range(1001, 1013)]
    assert by_number["1012"]["status"] == "CANCELLATION_REQUESTED"
    assert by_number["1012"]["cancellationRequest"] == {"status": "PENDING",
                                                        "comment": "I meant to order the 20 cm globe."}
    assert by_number["1004"]["status"] == "CANCELED" and by_number["1003"]["paymentStatus"] == "PARTIALLY_REFUNDED"
    assert {o["fulfillmentStatus"] for o in by_number.values()} >= {"UNFULFILLED", "FULFILLED", "IN_PROGRESS"}
