"""Custom scalars (registered in the schema's ``scalar_map``)."""

from __future__ import annotations

from typing import NewType

import strawberry


def _parse_decimal(value: object) -> str:
    # Amounts travel as strings so no float ever touches them; the domain
    # validates the text itself (INVALID_AMOUNT is a typed business error).
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError('Decimal values are strings such as "12.50", never JSON numbers.')
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    raise ValueError('Decimal values are strings such as "12.50".')


#: The Python-side type of amounts in inputs and outputs; mapped to the scalar below.
Decimal = NewType("Decimal", str)

DECIMAL_SCALAR = strawberry.scalar(
    name="Decimal",
    description='An exact decimal number, sent and received as a string ("12.50").',
    serialize=str,
    parse_value=_parse_decimal,
)
