"""Children of orders read with the orders, when the query selects them (issue 14).

``order(id:)`` and ``orders`` read the lines, notes and shipments the query asks for, one statement each for
the whole page, and hand them to the ``Order`` objects; their resolvers then answer without waiting, so a
page whose fields are all at hand completes without a single awaitable (a DataLoader for each order's lines
cost a page of 50 about a third of its time). What is read is primed into the request's loaders too, for
whatever else needs it (the order's refundable amounts, its actions...). Children a query does not select are
not read; orders reached otherwise (``node``, a mutation's answer) load theirs through the loaders.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from strawberry.types.nodes import SelectedField, Selection

from db import repository as repo
from resolvers.context import Context

Fetch = Callable[[Sequence[str]], Awaitable[dict[str, list[Any]]]]

#: What can be read with the orders: the field, and how to read it for many orders.
CHILDREN: dict[str, Fetch] = {
    "lines": repo.lines_by_order,
    "notes": repo.notes_by_order,
    "shipments": repo.shipments_by_order,
}


def selected(selections: Iterable[Selection], path: Sequence[str] = ()) -> set[str]:
    """The names of the fields selected at ``path`` below these selections (fragments followed)."""
    found: set[str] = set()
    for selection in selections:
        if not isinstance(selection, SelectedField):
            found |= selected(selection.selections, path)
        elif not path:
            found.add(selection.name)
        elif selection.name == path[0]:
            found |= selected(selection.selections, path[1:])
    return found


async def children(ctx: Context, selections: Iterable[Selection], order_ids: Sequence[str],
                   *paths: Sequence[str]) -> dict[str, dict[str, list[Any]]]:
    """The children the query selects at any of ``paths`` (below the resolving field), by field and order
    id. Notes are not read for customers: their field refuses them anyway."""
    selections = list(selections)
    names = set().union(*(selected(selections, path) for path in paths or ((),))) & CHILDREN.keys()
    if ctx.principal is not None and ctx.principal.is_customer:
        names.discard("notes")
    found = {name: await CHILDREN[name](order_ids) for name in sorted(names)} if order_ids else {}
    for name, rows in found.items():  # what else asks the request's loaders for them reads them from there
        getattr(ctx.loaders, name).prime_many({order_id: rows.get(order_id, []) for order_id in order_ids})
    return found
