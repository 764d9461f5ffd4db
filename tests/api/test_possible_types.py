"""possibleTypes.json is what a client would generate from the running server (Apollo Client's recipe:
an introspection query for each abstract type's possibleTypes), so ``... on Error`` fragments match."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

POSSIBLE_TYPES = "{ __schema { types { kind name possibleTypes { name } } } }"


def _committed() -> dict[str, list[str]]:
    return json.loads((ROOT / "possibleTypes.json").read_text())


async def test_possible_types_json_is_what_introspection_of_the_server_answers(store):
    types = (await store.gql(POSSIBLE_TYPES))["__schema"]["types"]
    introspected = {t["name"]: sorted(p["name"] for p in t["possibleTypes"])
                    for t in types if t["kind"] in ("INTERFACE", "UNION")}
    assert _committed() == introspected


def test_every_result_union_is_its_success_and_error_types_that_error_fragments_match():
    committed = _committed()
    errors = set(committed["Error"])
    results = {name: members for name, members in committed.items() if name.endswith("Result")}
    assert {"CreateOrderResult", "CancelOrderResult", "RefundOrderResult", "AddTrackingNumberResult",
            "AddNoteResult"} <= set(results)
    for name, members in results.items():
        assert [m for m in members if m not in errors] == [name.removesuffix("Result") + "Success"], name
