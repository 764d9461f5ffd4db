"""HTTP for browsers and every GraphQL client: media types by Accept, JSON error bodies, CORS by
allowlist, gzip, no-store and the rate-limit headers (the spec's own audit: tests/e2e/test_http_audit.py)."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from app.http import GRAPHQL_RESPONSE, JSON, negotiate, parse_cors_origins
from app.main import create_app
from app.settings import Settings, demo_cors_origins
from tests.api.helpers import create_order
from tests.conftest import TEST_LIMITS

ALLOWED = "https://admin.shop.example"


@pytest.mark.parametrize(("accept", "media"), [
    (None, JSON), ("", JSON), ("*/*", JSON), ("application/*", JSON), (JSON, JSON),
    (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
    (f"{GRAPHQL_RESPONSE}, {JSON};q=0.9", GRAPHQL_RESPONSE),  # what Apollo Client and graphql-http send
    (f"{JSON}, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),  # equal: the spec's own type
    (f"{JSON}, {GRAPHQL_RESPONSE};q=0.5", JSON),
    (f"{GRAPHQL_RESPONSE};q=0, */*", JSON),
    ("text/html, */*;q=0.8", JSON),
    ("text/plain", None), (f"{JSON};q=0", None), ("image/png, text/*", None),
])
def test_the_answer_is_in_the_media_type_the_client_ranks_first(accept, media):
    assert negotiate(accept) == media


@pytest.mark.parametrize("value", ["https://a.example/", "https://a.example/path", "a.example", "ftp://a.example",
                                   "*, https://a.example", "https://user@a.example"])
def test_cors_origins_are_exact_origins_or_a_lone_star(value):
    with pytest.raises(ValueError, match="ORDERGRAPH_CORS_ORIGINS"):
        parse_cors_origins(value)


def test_cors_origins_read_several_and_the_demo_allows_local_development_servers():
    assert parse_cors_origins(" https://a.example , http://localhost:5173,") == ("https://a.example",
                                                                                 "http://localhost:5173")
    assert parse_cors_origins("*") == ("*",) and parse_cors_origins("") == ()
    demo = demo_cors_origins(8000)
    assert {"http://127.0.0.1:8000", "http://localhost:8000", "http://localhost:5173", "http://localhost:3000"} <= \
        set(demo)


async def post(store, body: bytes | str, **headers: str) -> httpx.Response:
    return await store.http.post("/graphql", content=body, headers={"Authorization": f"Bearer {store.key}",
                                                                    "Content-Type": "application/json", **headers})


async def test_a_graphql_response_client_gets_400_without_data_for_a_document_that_does_not_validate(store):
    for accept, status in ((GRAPHQL_RESPONSE, 400), (JSON, 200)):
        answer = await post(store, '{"query": "{ nope }"}', Accept=accept)
        assert answer.status_code == status and answer.headers["content-type"].startswith(accept)
        body = answer.json()
        assert ("data" in body) is (accept == JSON) and body["errors"]
        assert "Accept" in answer.headers["vary"]


async def test_a_graphql_response_client_gets_its_data_in_its_media_type(store):
    answer = await post(store, '{"query": "{ __typename }"}', Accept=f"{GRAPHQL_RESPONSE}, {JSON};q=0.9")
    assert answer.status_code == 200 and answer.headers["content-type"] == GRAPHQL_RESPONSE
    assert answer.json() == {"data": {"__typename": "Query"}}


async def test_a_mutation_over_get_is_405_with_allow_post(store):
    answer = await store.http.get("/graphql", params={"query": "mutation { __typename }"},
                                  headers={"Authorization": f"Bearer {store.key}", "Accept": JSON})
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert answer.json()["errors"][0]["message"]


async def test_an_accept_nothing_can_satisfy_is_406(store):
    answer = await post(store, '{"query": "{ __typename }"}', Accept="text/csv")
    assert answer.status_code == 406 and answer.headers["content-type"] == JSON and answer.json()["errors"]


@pytest.mark.parametrize(("body", "content_type"), [
    ("not json", JSON), ("[1, 2]", JSON), ('{"query": 5}', JSON), ('{"query": "{ __typename }", "variables": 3}', JSON),
    ('{"query": "{ __typename }"}', "text/plain"), ("\udcff", JSON),
])
async def test_a_body_that_is_not_a_graphql_request_gets_a_json_error_never_plain_text(store, body, content_type):
    raw = body.encode("utf-8", "surrogateescape")
    answer = await store.http.post("/graphql", content=raw, headers={"Authorization": f"Bearer {store.key}",
                                                                     "Content-Type": content_type})
    assert 400 <= answer.status_code < 500
    assert answer.headers["content-type"].startswith(JSON) and answer.json()["errors"][0]["message"]


@pytest.mark.parametrize("body", [
    '{"query": "{ __typename }"}', '{"query": "{ nope }"}', '{"query": "query A { __typename }", "operationName": "B"}',
    '{"variables": {}}', '{"query": "{ __typename }", "variables": 3}', '{"query": "{ __typename }", "extensions": []}',
    '{"query": "mutation { addNote(input: {orderId: \\"x\\", body: \\"hi\\"}) { __typename } }"}',
    '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "00"}}}', "not json", "[]",
])
async def test_a_post_of_json_is_answered_alike_by_our_run_and_by_strawberrys(store, body):
    """``application/json`` is answered by ``GraphQLApp.run``; with a charset it goes Strawberry's way."""
    ours = await post(store, body)
    theirs = await post(store, body, **{"Content-Type": f"{JSON}; charset=utf-8"})
    assert (ours.status_code, ours.headers["content-type"], ours.json()) == \
        (theirs.status_code, theirs.headers["content-type"], theirs.json())


async def test_other_methods_are_405_with_allow_and_a_json_body(http):
    for method in ("PUT", "DELETE", "PATCH"):
        answer = await http.request(method, "/graphql")
        assert answer.status_code == 405 and answer.headers["allow"] == "GET, POST", method
        assert answer.json()["errors"]


async def test_every_api_answer_carries_no_store_and_its_rate_limit(store, http):
    for answer in (await post(store, '{"query": "{ __typename }"}'), await http.post("/graphql", json={}),
                   await post(store, "nope")):
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["ratelimit-policy"].startswith('"default";q=')
        remaining = dict(part.split("=") for part in answer.headers["ratelimit"].split(";")[1:])
        assert int(remaining["r"]) >= 0 and int(remaining["t"]) >= 0


async def test_a_large_answer_travels_gzipped_when_the_client_accepts_it(store):
    for i in range(30):
        await create_order(store, number=f"GZ-{i}")
    query = '{"query": "{ orders(first: 30) { nodes { id number customer { email name } total { amount } lines { sku name } } } }"}'
    zipped = await post(store, query, **{"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    raw_length = len(zipped.content)  # httpx decodes it
    assert int(zipped.headers["content-length"]) < raw_length / 3
    plain = await post(store, query, **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and len(plain.content) == raw_length
    small = await post(store, '{"query": "{ __typename }"}', **{"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # under 1 KB: not worth it
    assert gzip.decompress(gzip.compress(plain.content)) == plain.content


# ---------------------------------------------------------------- CORS

@pytest_asyncio.fixture
async def cors_http(app, database_url, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    """The application with one origin allowed."""
    session, app = app, create_app(Settings(database_url=database_url, secret_key="test-secret-key", limits=TEST_LIMITS,
                              worker="off", mail_dir=tmp_path / "mail", cors_origins=(ALLOWED,)))
    # Not its own lifespan: that would close the session's database connections when it ends.
    app.state.shared.update({k: v for k, v in session.state.shared.items() if k != "persisted"})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://og.test") as client:
        yield client


def preflight(origin: str, headers: str = "authorization, content-type") -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": headers}


async def test_a_listed_origin_gets_a_preflight_with_what_a_graphql_client_sends(cors_http):
    answer = await cors_http.options("/graphql", headers=preflight(ALLOWED,
                                     "authorization, content-type, apollo-require-preflight"))
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    assert {"GET", "POST"} <= {m.strip() for m in answer.headers["access-control-allow-methods"].split(",")}
    allowed = {h.strip().lower() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "apollo-require-preflight"} <= allowed
    assert int(answer.headers["access-control-max-age"]) >= 600 and "Origin" in answer.headers["vary"]
    assert "access-control-allow-credentials" not in answer.headers


async def test_a_listed_origin_reads_the_answer_and_its_rate_limit_headers(cors_http):
    answer = await cors_http.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": ALLOWED})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == ALLOWED
    exposed = {h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")}
    assert {"retry-after", "ratelimit", "ratelimit-policy"} <= exposed and "Origin" in answer.headers["vary"]


async def test_an_origin_not_listed_gets_no_cors_header_at_all(cors_http):
    refused = await cors_http.options("/graphql", headers=preflight("https://evil.example"))
    assert refused.status_code == 403 and refused.json()["errors"][0]["extensions"]["code"] == \
        "CORS_ORIGIN_NOT_ALLOWED"
    simple = await cors_http.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"})
    for answer in (refused, simple):
        assert not [h for h in answer.headers if h.lower().startswith("access-control-")], answer.headers


async def test_a_listed_origin_asking_for_a_header_we_do_not_take_is_told_which_as_json(cors_http):
    answer = await cors_http.options("/graphql", headers=preflight(ALLOWED, "x-custom-thing"))
    assert answer.status_code == 400 and "headers" in answer.json()["errors"][0]["message"]


async def test_without_configured_origins_no_page_may_call_the_api(http):
    answer = await http.options("/graphql", headers=preflight(ALLOWED))
    assert answer.status_code == 403 and "access-control-allow-origin" not in answer.headers
