from domain.access import Permission
from tests.api.helpers import NOTE, ORDER, TRACK, create_order

NUMBER = """mutation($input: UpdateOrderNumberInput!) { updateOrderNumber(input: $input) { __typename
  ... on UpdateOrderNumberSuccess { order { number events { type message } } }
  ... on Error { code message } ... on InvalidInputError { field } } }"""
ADDRESSES = """mutation($input: UpdateOrderAddressesInput!) { updateOrderAddresses(input: $input) { __typename
  ... on UpdateOrderAddressesSuccess { warnings { code message }
      order { shippingAddress { city countryCode } billingAddress { city } events { type } } }
  ... on Error { code message } ... on InvalidInputError { field } } }"""
CUSTOMER = """mutation($input: ChangeOrderCustomerInput!) { changeOrderCustomer(input: $input) { __typename
  ... on ChangeOrderCustomerSuccess { order { customer { email name } events { type message } } }
  ... on Error { code message } ... on InvalidInputError { field } } }"""
EDIT_NOTE = """mutation($input: UpdateNoteInput!) { updateNote(input: $input) { __typename
  ... on UpdateNoteSuccess { note { body updatedAt } order { notes { body } events { type } } }
  ... on Error { code message } } }"""
DELETE_NOTE = """mutation($input: DeleteNoteInput!) { deleteNote(input: $input) { __typename
  ... on DeleteNoteSuccess { deletedNoteId order { notes { body } } }
  ... on Error { code message } } }"""
EVENTS = "query($id: ID!) { order(id: $id) { events { type } } }"


async def test_renumbering_is_unique_in_the_store_and_on_the_timeline(store):
    order = await create_order(store)
    await create_order(store, number="TAKEN")
    done = (await store.gql(NUMBER, {"input": {"orderId": order["id"], "number": " W-100 "}}))["updateOrderNumber"]
    assert done["order"]["number"] == "W-100"
    assert done["order"]["events"][-1] == {"type": "ORDER_NUMBER_CHANGED", "message": "Order number changed from 1001 to W-100."}
    taken = (await store.gql(NUMBER, {"input": {"orderId": order["id"], "number": "TAKEN"}}))["updateOrderNumber"]
    assert taken["__typename"] == "OrderNumberTakenError"
    same = (await store.gql(NUMBER, {"input": {"orderId": order["id"], "number": "W-100"}}))["updateOrderNumber"]
    assert same["__typename"] == "InvalidInputError"
    found = await store.gql('{ orderByNumber(number: "w-100") { id } o: orderByNumber(number: "W-100") { id } }')
    assert found["o"]["id"] == order["id"]
    listed = await store.gql('{ orders(search: "w-1") { nodes { number } } }')
    assert listed["orders"]["nodes"] == [{"number": "W-100"}]


async def test_address_changes_carry_warnings_and_stop_once_shipped(store):
    order = await create_order(store)
    home = {"line1": "1 Main St", "city": "Springfield", "countryCode": "us"}
    done = (await store.gql(ADDRESSES, {"input": {"orderId": order["id"], "shippingAddress": home}}))["updateOrderAddresses"]
    assert done["order"]["shippingAddress"] == {"city": "Springfield", "countryCode": "US"}
    assert [w["code"] for w in done["warnings"]] == ["FRAUD_PROTECTION_MAY_BE_VOID", "LANDED_COST_MAY_BE_INACCURATE"]
    assert done["order"]["events"][-1]["type"] == "ADDRESS_CHANGED"
    await store.gql(TRACK, {"input": {"orderId": order["id"], "trackingNumber": "1Z999AA10123456784"}})
    late = (await store.gql(ADDRESSES, {"input": {"orderId": order["id"], "shippingAddress": home}}))["updateOrderAddresses"]
    assert late["__typename"] == "OrderShippedError"
    billing = (await store.gql(ADDRESSES, {"input": {"orderId": order["id"], "billingAddress": {"city": "Shelbyville"}}}))
    assert billing["updateOrderAddresses"]["order"]["billingAddress"] == {"city": "Shelbyville"}
    empty = (await store.gql(ADDRESSES, {"input": {"orderId": order["id"]}}))["updateOrderAddresses"]
    assert empty["__typename"] == "InvalidInputError"


async def test_changing_the_customer(store):
    order = await create_order(store)
    done = (await store.gql(CUSTOMER, {"input": {"orderId": order["id"], "customer": {"email": "Bo@Example.com",
                                                                                       "name": "Bo"}}}))
    result = done["changeOrderCustomer"]
    assert result["order"]["customer"] == {"email": "Bo@Example.com", "name": "Bo"}
    assert result["order"]["events"][-1]["type"] == "CUSTOMER_CHANGED"
    assert (await store.gql('{ orders(search: "bo@example") { totalCount } }'))["orders"]["totalCount"] == 1
    bad = (await store.gql(CUSTOMER, {"input": {"orderId": order["id"], "customer": {"email": "nope"}}}))
    assert bad["changeOrderCustomer"]["field"] == "customer.email"


async def test_notes_are_edited_and_deleted_by_their_author_and_the_timeline_keeps_them(store):
    order = await create_order(store)
    note = (await store.gql(NOTE, {"input": {"orderId": order["id"], "body": "first"}}))["addNote"]["note"]
    edited = (await store.gql(EDIT_NOTE, {"input": {"noteId": note["id"], "body": " second "}}))["updateNote"]
    assert edited["note"]["body"] == "second" and edited["note"]["updatedAt"]
    assert (await store.gql(EDIT_NOTE, {"input": {"noteId": note["id"], "body": " "}}))["updateNote"]["__typename"] == "NoteEmptyError"
    other_author = await store.key_with(Permission.READ_ORDERS, Permission.WRITE_ORDERS)
    body = (await store.post(DELETE_NOTE, {"input": {"noteId": note["id"]}}, key=other_author)).json()
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "MANAGE_NOTES"}
    deleted = (await store.gql(DELETE_NOTE, {"input": {"noteId": note["id"]}}))["deleteNote"]
    assert deleted["deletedNoteId"] == note["id"] and deleted["order"]["notes"] == []
    events = [e["type"] for e in (await store.gql(EVENTS, {"id": order["id"]}))["order"]["events"]]
    assert events[-3:] == ["NOTE_ADDED", "NOTE_EDITED", "NOTE_DELETED"]
    gone = (await store.gql(DELETE_NOTE, {"input": {"noteId": note["id"]}}))["deleteNote"]
    assert gone["__typename"] == "NoteNotFoundError"


async def test_a_note_manager_may_edit_anyones_note(store):
    order = await create_order(store)
    note = (await store.gql(NOTE, {"input": {"orderId": order["id"], "body": "mine"}}))["addNote"]["note"]
    manager = await store.key_with(Permission.READ_ORDERS, Permission.WRITE_ORDERS, Permission.MANAGE_NOTES)
    edited = (await store.gql(EDIT_NOTE, {"input": {"noteId": note["id"], "body": "fixed"}}, key=manager))["updateNote"]
    assert edited["note"]["body"] == "fixed"
    after = (await store.gql(ORDER, {"id": order["id"]}))["order"]
    assert [n["body"] for n in after["notes"]] == ["fixed"]


async def test_a_notes_available_actions_agree_with_who_may_change_it(store):
    order = await create_order(store)
    note = (await store.gql("mutation($i: AddNoteInput!) { addNote(input: $i) { ... on AddNoteSuccess { note { id } } } }",
                            {"i": {"orderId": order["id"], "body": "Ring twice"}}))["addNote"]["note"]
    writer = await store.key_with(Permission.READ_ORDERS, Permission.WRITE_ORDERS)
    manager = await store.key_with(Permission.READ_ORDERS, Permission.WRITE_ORDERS, Permission.MANAGE_NOTES)
    reader = await store.key_with(Permission.READ_ORDERS)
    query = ("query($id: ID!) { order(id: $id) { notes { availableActions { update { allowed reason { code "
             "... on ForbiddenError { permission } } } delete { allowed } } } } }")

    async def actions(key=None):
        return (await store.gql(query, {"id": order["id"]}, key=key))["order"]["notes"][0]["availableActions"]

    assert (await actions())["update"] == {"allowed": True, "reason": None}  # the author
    assert (await actions(manager))["delete"] == {"allowed": True}
    assert (await actions(writer))["update"]["reason"] == {"code": "FORBIDDEN", "permission": "MANAGE_NOTES"}
    assert (await actions(reader))["update"]["reason"] == {"code": "FORBIDDEN", "permission": "WRITE_ORDERS"}
    body = (await store.post("mutation($i: UpdateNoteInput!) { updateNote(input: $i) { __typename } }",
                             {"i": {"noteId": note["id"], "body": "Ring once"}}, key=writer)).json()
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "MANAGE_NOTES"}
