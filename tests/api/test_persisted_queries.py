"""Apollo's automatic persisted queries (GET and POST) and the trusted-documents mode."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from app.main import create_app, order_page_documents
from app.persisted import load_manifest, sha256
from app.settings import Settings
from tests.api.helpers import create_order_with_token
from tests.conftest import TEST_LIMITS

QUERY = "query Count { orders(first: 1) { totalCount } }"


def apq(document_hash: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": document_hash}}


async def post(http: httpx.AsyncClient, key: str | None, body: dict) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return await http.post("/graphql", json=body, headers=headers)


async def test_a_hash_the_server_has_not_seen_asks_for_the_document_then_runs_by_hash(store):
    query = f"{QUERY} # {store.id}"  # a document no other test registered
    unknown = await post(store.http, store.key, {"extensions": apq(sha256(query))})
    assert unknown.status_code == 200  # Apollo's link then sends the document; anything else switches it off
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await post(store.http, store.key, {"query": query, "extensions": apq(sha256(query))})
    by_hash = await post(store.http, store.key, {"extensions": apq(sha256(query))})
    assert registered.json() == by_hash.json() and by_hash.json()["data"]["orders"]["totalCount"] >= 0
    got = await store.http.get("/graphql", params={"extensions": json.dumps(apq(sha256(query)))},
                               headers={"Authorization": f"Bearer {store.key}"})
    assert got.status_code == 200 and got.json() == by_hash.json()


async def test_a_document_sent_with_a_hash_that_is_not_its_own_is_refused(store):
    answer = await post(store.http, store.key, {"query": QUERY, "extensions": apq("0" * 64)})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


async def test_a_malformed_persisted_query_extension_is_a_clear_400(store):
    answer = await post(store.http, store.key, {"extensions": {"persistedQuery": {"version": 2}}})
    assert answer.status_code == 400 and answer.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_INVALID"


def test_a_manifest_must_hold_documents_under_their_own_hashes(tmp_path: Path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1,
                                "operations": [{"id": sha256(QUERY), "name": "Count", "type": "query", "body": QUERY}]}))
    assert load_manifest(good) == {sha256(QUERY): QUERY}
    for text in ("not json", json.dumps([QUERY]), json.dumps({"0" * 64: QUERY})):
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        with pytest.raises(ValueError, match="ORDERGRAPH_TRUSTED_DOCUMENTS"):
            load_manifest(bad)


@pytest_asyncio.fixture
async def trusted_http(app, database_url, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({sha256(QUERY): QUERY}))
    session, app = app, create_app(Settings(database_url=database_url, secret_key="test-secret-key", limits=TEST_LIMITS,
                              worker="off", mail_dir=tmp_path / "mail", trusted_documents=manifest))
    # Not its own lifespan: that would close the session's database connections when it ends.
    app.state.shared.update({k: v for k, v in session.state.shared.items() if k != "persisted"})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://og.test") as client:
        yield client


async def test_in_trusted_mode_public_callers_run_only_trusted_documents_and_keys_anything(store, trusted_http):
    order, token = await create_order_with_token(store)
    other = "{ __typename }"
    refused = await post(trusted_http, token, {"query": other})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
    anonymous = await post(trusted_http, None, {"query": other})
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
    unknown = await post(trusted_http, token, {"extensions": apq(sha256(other))})
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    # The bundled order page's own documents always run, by text or by hash.
    page_document = next(iter(order_page_documents().values()))
    for body in ({"query": page_document, "variables": {"id": order["id"]}},
                 {"extensions": apq(sha256(page_document)), "variables": {"id": order["id"]}}):
        answer = await post(trusted_http, token, body)
        assert answer.status_code == 200 and answer.json()["data"]["order"]["id"] == order["id"]
    staff = await post(trusted_http, store.key, {"query": other})
    assert staff.json() == {"data": {"__typename": "Query"}}
