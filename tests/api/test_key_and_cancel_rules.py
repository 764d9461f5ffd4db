"""Permissions say what they mean: a cancel that refunds needs REFUND_ORDERS; a key revokes only keys
whose permissions it holds, and a store keeps its last key that can manage keys."""

from __future__ import annotations

from domain.access import Permission
from tests.api.helpers import create_order
from tests.conftest import make_store

P = Permission
CANCEL = """mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { __typename ... on Error { code } } }"""
ACTIONS = "query($id: ID!) { order(id: $id) { status availableActions { cancel { allowed reason { code ... on ForbiddenError { permission } } } } } }"
KEYS = "{ apiKeys { id name revokedAt } }"
REVOKE = """mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { __typename
  ... on Error { code message } ... on RevokeApiKeySuccess { apiKey { revokedAt } } } }"""


async def test_a_key_that_may_cancel_but_not_refund_cannot_move_money_by_canceling(store):
    order = await create_order(store)
    key = await store.key_with(P.READ_ORDERS, P.CANCEL_ORDERS)
    refused = (await store.post(CANCEL, {"input": {"orderId": order["id"], "reason": "CUSTOMER"}}, key=key)).json()
    assert refused["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "REFUND_ORDERS"}
    seen = (await store.gql(ACTIONS, {"id": order["id"]}, key=key))["order"]
    assert seen["status"] == "OPEN"
    assert seen["availableActions"]["cancel"] == {"allowed": False, "reason": {"code": "FORBIDDEN",
                                                                               "permission": "REFUND_ORDERS"}}
    both = await store.key_with(P.READ_ORDERS, P.CANCEL_ORDERS, P.REFUND_ORDERS)
    assert (await store.gql(ACTIONS, {"id": order["id"]}, key=both))["order"]["availableActions"]["cancel"][
        "allowed"] is True
    done = (await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "CUSTOMER"}}, key=both))
    assert done["cancelOrder"]["__typename"] == "CancelOrderSuccess"


async def test_an_unpaid_order_is_canceled_without_refund_by_a_key_that_may_only_cancel(store):
    order = await create_order(store, amountPaid="0")
    key = await store.key_with(P.CANCEL_ORDERS)
    done = await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "CUSTOMER", "refund": False}},
                           key=key)
    assert done["cancelOrder"]["__typename"] == "CancelOrderSuccess"


async def key_id(store, name: str) -> str:
    return next(k["id"] for k in (await store.gql(KEYS))["apiKeys"] if k["name"] == name)


async def test_a_key_revokes_only_keys_whose_permissions_it_holds(http):
    store = await make_store(http, "Keys")
    weak = await store.key_with(P.READ_ORDERS, P.MANAGE_KEYS)
    strong = await key_id(store, "Test staff")  # the store's key with every permission
    refused = (await store.post(REVOKE, {"input": {"apiKeyId": strong}}, key=weak)).json()
    assert refused["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "CANCEL_ORDERS"}
    assert all(k["revokedAt"] is None for k in (await store.gql(KEYS))["apiKeys"])
    reader = await _id_of(store, await store.key_with(P.READ_ORDERS))  # the weak key holds all it has
    done = (await store.gql(REVOKE, {"input": {"apiKeyId": reader}}, key=weak))["revokeApiKey"]
    assert done["__typename"] == "RevokeApiKeySuccess" and done["apiKey"]["revokedAt"]


async def _id_of(store, key: str, *, asking: str | None = None) -> str:
    """The id of ``key``, as a key that may list keys (``asking``, default the store's) sees it."""
    me = await store.gql("{ apiKeys { id prefix } }", key=asking)
    return next(k["id"] for k in me["apiKeys"] if key.startswith(k["prefix"]))


async def test_a_store_keeps_its_last_key_that_can_manage_keys(http):
    store = await make_store(http, "Last manager")
    own = await key_id(store, "Test staff")
    refused = (await store.gql(REVOKE, {"input": {"apiKeyId": own}}))["revokeApiKey"]
    assert refused["code"] == "LAST_KEY_MANAGER"
    assert all(k["revokedAt"] is None for k in (await store.gql(KEYS))["apiKeys"])
    second = await store.key_with(*Permission)
    done = (await store.gql(REVOKE, {"input": {"apiKeyId": own}}, key=second))["revokeApiKey"]
    assert done["__typename"] == "RevokeApiKeySuccess"
    last = await _id_of(store, second, asking=second)
    assert (await store.gql(REVOKE, {"input": {"apiKeyId": last}}, key=second))["revokeApiKey"]["code"] == \
        "LAST_KEY_MANAGER"
