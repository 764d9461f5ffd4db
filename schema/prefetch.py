"""Children of orders read with the orders, when the query selects them (issue 14).

``order(id:)`` reads the lines, notes and shipments the query asks for in the statement reading the order
(``db.decisions.order_with``); ``orders``, one statement each for the whole page. Both hand them to the
``Order`` objects; their resolvers then answer without waiting, so a page whose fields are all at hand
completes without a single awaitable (a DataLoader for each order's lines cost a page of 50 about a third of
its time). What is read is primed into the request's loaders too, for
whatever else needs it (the order's refundable amounts, its actions...). Children a query does not select are
not read; orders reached otherwise (``node``, a mutation's answer) load theirs through the loaders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode
from strawberry.types import Info

from db import repository as repo

#: What can be read with the orders: the field, and the repository function reading it for many orders (looked
#: up when called, as the request's loaders do).
CHILDREN: dict[str, str] = {"lines": "lines_by_order", "notes": "notes_by_order", "shipments": "shipments_by_order"}


def selected(selections: Iterable[Any], fragments: dict[str, Any], path: Sequence[str] = ()) -> set[str]:
    """The names of the fields selected at ``path`` below these selections of the document (fragments
    followed). Read off the parsed document: Strawberry's ``selected_fields`` converts the whole tree,
    arguments and directives included, which cost a detail request a twenty-fifth of its time."""
    found: set[str] = set()
    for node in selections:
        if isinstance(node, FieldNode):
            if not path:
                found.add(node.name.value)
            elif node.name.value == path[0] and node.selection_set is not None:
                found |= selected(node.selection_set.selections, fragments, path[1:])
        elif isinstance(node, InlineFragmentNode):
            found |= selected(node.selection_set.selections, fragments, path)
        elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments:
            found |= selected(fragments[node.name.value].selection_set.selections, fragments, path)
    return found


def asked(info: Info, *paths: Sequence[str]) -> frozenset[str]:
    """The children the query selects at any of ``paths`` below the resolving field. Notes are not read for
    customers: their field refuses them anyway."""
    raw = info._raw_info  # noqa: SLF001 - graphql-core's own resolve info: the document's nodes
    below = [s for node in raw.field_nodes if node.selection_set for s in node.selection_set.selections]
    names = set().union(*(selected(below, raw.fragments, path) for path in paths or ((),))) & CHILDREN.keys()
    ctx = info.context
    if ctx.principal is not None and ctx.principal.is_customer:
        names.discard("notes")
    return frozenset(names)


async def children(info: Info, order_ids: Sequence[str], *paths: Sequence[str]) -> dict[str, dict[str, list[Any]]]:
    """The children the query selects at any of ``paths`` below the resolving field, by field and order
    id, one statement each for all the orders."""
    names = asked(info, *paths)
    found = {name: await getattr(repo, CHILDREN[name])(order_ids) for name in sorted(names)} if order_ids else {}
    prime(info, order_ids, found)
    return found


def prime(info: Info, order_ids: Sequence[str], found: dict[str, dict[str, list[Any]]]) -> None:
    """What else asks the request's loaders for the children read reads them from there."""
    for name, rows in found.items():
        info.context.loaders.prime(name, {order_id: rows.get(order_id, []) for order_id in order_ids})
