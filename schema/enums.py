"""GraphQL enums with a description on every value, made from the domain's plain Python enums.

The domain layer knows nothing of Strawberry, so its enums cannot use ``strawberry.enum_value``.
``described_enum`` registers such an enum with ``strawberry.enum`` and then writes a description
onto each value of its Strawberry definition (``StrawberryEnumDefinition.values``): the Python
enum's members and values stay exactly as the domain made them, and the GraphQL names and
values do not change.

    OrderStatus = described_enum(
        d.OrderStatus, description="Where the order stands as a whole.",
        values={"OPEN": "...", "CANCELLATION_REQUESTED": "...", "CANCELED": "..."},
    )

Every value needs a description and every key must name a value: a missing or misspelt one
fails at import, naming the enum and the values.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from typing import TypeVar, overload

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition

E = TypeVar("E", bound=type[enum.Enum])


@overload
def described_enum(cls: E, *, name: str | None = None, description: str, values: Mapping[str, str]) -> E: ...


@overload
def described_enum(cls: None = None, *, name: str | None = None, description: str,
                   values: Mapping[str, str]) -> Callable[[E], E]: ...


def described_enum(cls: E | None = None, *, name: str | None = None, description: str,
                   values: Mapping[str, str]) -> E | Callable[[E], E]:
    """``cls`` as the GraphQL enum ``name`` (default: the class name) with ``description``, each
    value described by ``values[<GraphQL value name>]``. Returns ``cls``; without ``cls``, a
    decorator (for enums defined in the schema layer)."""

    def register(enum_cls: E) -> E:
        strawberry.enum(enum_cls, name=name, description=description)
        definition: StrawberryEnumDefinition = enum_cls.__strawberry_definition__  # type: ignore[attr-defined]
        names = [value.name for value in definition.values]
        missing = [n for n in names if not (values.get(n) or "").strip()]
        unknown = sorted(set(values) - set(names))
        if missing or unknown:
            raise ValueError(f"enum {definition.name}: no description for {missing or 'none'}; "
                             f"descriptions for values it does not have: {unknown or 'none'}")
        definition.values = [dataclasses.replace(value, description=values[value.name])
                             for value in definition.values]
        return enum_cls

    return register if cls is None else register(cls)
