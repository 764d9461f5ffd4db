"""The GraphQL schema: types, inputs, error types, named result unions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType
from graphql.validation import NoSchemaIntrospectionCustomRule

from schema.errors import ALL_ERROR_TYPES
from schema.execution import executor_for
from schema.extensions import RequestPipeline
from schema.mutations import Mutation
from schema.query import Query
from schema.scalars import DECIMAL_SCALAR, Decimal
from schema.types import Order

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 10_000
MAX_COST = 100_000


class Schema(strawberry.Schema):
    """Strawberry's schema, whose requests go through our pipeline (``schema.extensions.RequestPipeline``)."""

    pipeline: RequestPipeline

    async def execute(  # type: ignore[override]  # noqa: PLR0917 - Strawberry's signature
        self, query: str | None, variable_values: dict[str, Any] | None = None, context_value: Any | None = None,
        root_value: Any | None = None, operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        return await self.pipeline.execute(
            self, query, variable_values, context_value, root_value, operation_name,
            DEFAULT_ALLOWED_OPERATION_TYPES if allowed_operation_types is None else allowed_operation_types,
            operation_extensions)

    def process_errors(self, errors, execution_context=None) -> None:  # type: ignore[no-untyped-def]
        # Strawberry logs every error with a traceback, the client's mistakes
        # included; the request pipeline logs the unexpected ones, which are ours.
        return None


def build_schema(*, max_depth: int = MAX_DEPTH, max_aliases: int = MAX_ALIASES, max_tokens: int = MAX_TOKENS,
                 production: bool = False, introspection: bool = True, max_cost: int = MAX_COST) -> strawberry.Schema:
    """The schema with its abuse limits (the server builds one per kind of caller).
    In production, field suggestions are off."""
    # The limiters make a new validation rule class per instance: take their rules once, for the pipeline.
    rules = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    built = Schema(
        query=Query, mutation=Mutation, types=[*ALL_ERROR_TYPES, Order],
        config=StrawberryConfig(disable_field_suggestions=production, scalar_map={Decimal: DECIMAL_SCALAR}),
    )
    built.pipeline = RequestPipeline(max_tokens=max_tokens, rules=rules, max_cost=max_cost)
    built.execution_context_class = executor_for(built._schema)
    return built


schema = build_schema()
