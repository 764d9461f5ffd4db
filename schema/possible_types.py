"""``possibleTypes.json``: the concrete types behind each interface and union, for Apollo Client.

Apollo Client's cache cannot tell by itself which object types an interface or union stands
for: without ``possibleTypes`` it does not match fragments on abstract types (``... on Error``)
and silently leaves their fields out. This is the map its ``InMemoryCache({ possibleTypes })``
takes, written beside ``schema.graphql`` (``python -m app export-possible-types``).
"""

from __future__ import annotations

import json

from graphql import GraphQLSchema, is_abstract_type


def possible_types(gql: GraphQLSchema) -> dict[str, list[str]]:
    """Every interface and union (introspection's own left out), with its object types, sorted."""
    return {
        name: sorted(t.name for t in gql.get_possible_types(abstract))
        for name, abstract in sorted(gql.type_map.items())
        if is_abstract_type(abstract) and not name.startswith("__")
    }


def possible_types_json(gql: GraphQLSchema) -> str:
    """The file's text: sorted keys, 2-space indent, a trailing newline."""
    return json.dumps(possible_types(gql), indent=2, sort_keys=True) + "\n"
