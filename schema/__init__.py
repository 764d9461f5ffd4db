"""The GraphQL schema: types, inputs, error types, named result unions."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from graphql.validation import NoSchemaIntrospectionCustomRule

from schema.errors import ALL_ERROR_TYPES
from schema.execution import executor_for
from schema.extensions import request_pipeline
from schema.mutations import Mutation
from schema.query import Query
from schema.scalars import DECIMAL_SCALAR, Decimal
from schema.types import Order

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 10_000
MAX_COST = 100_000


class Schema(strawberry.Schema):
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
    extensions = [request_pipeline(max_tokens=max_tokens, rules=rules, max_cost=max_cost)]
    built = Schema(
        query=Query, mutation=Mutation, types=[*ALL_ERROR_TYPES, Order], extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production, scalar_map={Decimal: DECIMAL_SCALAR}),
    )
    built.execution_context_class = executor_for(built._schema)
    return built


schema = build_schema()
