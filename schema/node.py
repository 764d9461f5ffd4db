"""The Relay ``Node`` interface: every object with a global id implements it."""

from __future__ import annotations

import strawberry


@strawberry.interface(description="An object that can be fetched again by its global id with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="The object's opaque global id.")
