"""Checks on the project itself: the committed schema, and the direction of imports."""

from __future__ import annotations

import ast
from pathlib import Path

from graphql import Visitor, parse, print_ast, visit

from schema import schema
from schema.possible_types import possible_types_json

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_schema_graphql_is_up_to_date():
    committed = (ROOT / "schema.graphql").read_text()
    assert committed.strip() == schema.as_str().strip(), "schema.graphql is stale: run `make schema`"


def test_the_committed_possible_types_json_is_up_to_date():
    committed = (ROOT / "possibleTypes.json").read_text()
    assert committed == possible_types_json(schema._schema), (
        "possibleTypes.json is stale: run `make schema` (python -m app export-possible-types > possibleTypes.json)")


class _WithoutDescriptions(Visitor):
    def enter(self, node, *_):
        if getattr(node, "description", None) is not None:
            return node.__class__(**{**{key: getattr(node, key) for key in node.keys}, "description": None})
        return None


def _signatures() -> str:
    """The SDL without descriptions: a field's arguments on one line, as API.md writes them."""
    return print_ast(visit(parse(schema.as_str()), _WithoutDescriptions()))


def test_the_core_names_of_api_md_are_in_the_schema():
    sdl = _signatures()
    for name in ["order(id: ID!): Order", "orderByNumber(number: String!): Order", "node(id: ID!): Node",
                 "createOrder(input: CreateOrderInput!): CreateOrderResult!",
                 "cancelOrder(input: CancelOrderInput!): CancelOrderResult!",
                 "refundOrder(input: RefundOrderInput!): RefundOrderResult!",
                 "addTrackingNumber(input: AddTrackingNumberInput!): AddTrackingNumberResult!",
                 "addNote(input: AddNoteInput!): AddNoteResult!", "interface Error", "type Money",
                 "maximumRefundable: RefundableAmounts!", "availableActions: OrderActions!",
                 "customerAccessToken: String!", "idempotencyKey: String!"]:
        assert name in sdl, name


def test_the_events_out_names_of_api_md_are_in_the_schema():
    gql = schema._schema
    query, mutation = gql.query_type.fields, gql.mutation_type.fields
    assert {"events", "webhookEndpoints", "notificationSettings"} <= set(query)
    assert set(query["events"].args) == {"first", "after", "types", "orderId"}
    assert {"createWebhookEndpoint", "updateWebhookEndpoint", "deleteWebhookEndpoint", "rotateWebhookSecret",
            "sendTestWebhook", "retryWebhookDelivery", "updateNotificationSettings"} <= set(mutation)
    fields = {name: set(gql.type_map[name].fields) for name in (
        "Event", "WebhookEndpoint", "WebhookDelivery", "WebhookAttempt", "CustomerNotification", "Order")}
    assert {"id", "type", "occurredAt", "order", "orderVersion", "data"} <= fields["Event"]
    assert {"id", "url", "eventTypes", "enabled", "disabledReason", "description", "createdAt",
            "deliveries"} <= fields["WebhookEndpoint"]
    assert {"id", "event", "status", "attempts", "nextAttemptAt"} <= fields["WebhookDelivery"]
    assert {"number", "startedAt", "durationMs", "responseStatus", "errorKind",
            "responseBody"} <= fields["WebhookAttempt"]
    assert {"template", "recipient", "status", "sentAt", "error"} <= fields["CustomerNotification"]
    assert {"version", "notifications"} <= fields["Order"]
    assert {"updatedAfter", "updatedBefore"} <= set(gql.type_map["OrderFilter"].fields)
    assert "UPDATED_AT" in gql.type_map["OrderSortField"].values
    assert set(gql.type_map["WebhookDeliveryStatus"].values) == {"PENDING", "SUCCEEDED", "FAILED"}
    assert {"MANAGE_WEBHOOKS", "MANAGE_SETTINGS"} <= set(gql.type_map["Permission"].values)
    assert {"ORDER_CANCELED", "REFUND_ISSUED"} <= set(gql.type_map["EventType"].values)


def test_every_public_type_and_field_has_a_description():
    missing = []
    for type_ in schema._schema.type_map.values():
        if type_.name.startswith("__") or type_.name in ("String", "Int", "Boolean", "ID", "Float"):
            continue
        if not type_.description:
            missing.append(type_.name)
        for name, field in (getattr(type_, "fields", None) or {}).items():
            if not field.description:
                missing.append(f"{type_.name}.{name}")
    assert missing == []


# Who may import whom: app -> schema -> resolvers -> domain, db; db -> domain;
# app -> worker -> integrations, domain, db; integrations -> domain.
ALLOWED = {
    "domain": {"domain"},
    "db": {"db", "domain"},
    "resolvers": {"resolvers", "db", "domain"},
    "schema": {"schema", "resolvers", "domain", "db"},
    "integrations": {"integrations", "domain"},
    "worker": {"worker", "integrations", "domain", "db"},
    "app": {"app", "schema", "resolvers", "domain", "db", "worker", "integrations"},
}
THIRD_PARTY_FORBIDDEN = {
    "domain": {"strawberry", "starlette", "tortoise", "graphql", "uvicorn", "httpx", "httpcore", "aiosmtplib",
               "jinja2", "asyncpg", "aiosqlite"},
    "integrations": {"tortoise", "strawberry"},
}
LAYERS = set(ALLOWED)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_imports_flow_one_way():
    wrong = []
    for layer, allowed in ALLOWED.items():
        for path in (ROOT / layer).rglob("*.py"):
            for imported in _imports(path):
                if imported in LAYERS and imported not in allowed:
                    wrong.append(f"{path.relative_to(ROOT)} imports {imported}")
                if imported in THIRD_PARTY_FORBIDDEN.get(layer, ()):
                    wrong.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert wrong == []


def test_only_db_touches_the_models():
    wrong = [
        str(path.relative_to(ROOT))
        for layer in ("app", "schema", "resolvers", "domain", "worker", "integrations")
        for path in (ROOT / layer).rglob("*.py")
        if "db.models" in path.read_text() or "tortoise" in _imports(path) and layer != "app"
    ]
    assert wrong == []


def test_every_error_code_has_its_graphql_error_type():
    from domain.errors import DomainError, ErrorCode
    from domain.orders import RefundableAmounts
    from schema.errors import to_error

    for code in ErrorCode:
        extras = {}
        if code is ErrorCode.REFUND_EXCEEDS_REFUNDABLE:
            extras["maximum_refundable"] = RefundableAmounts("USD", *([0] * 5))
        error = to_error(DomainError(code, "m", **extras))
        expected = "".join(part.capitalize() for part in code.value.split("_")) + "Error"
        assert type(error).__name__ == expected and error.code is code
