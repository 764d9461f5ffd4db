"""A real browser (Debian's chromium, driven by Playwright) against the real server process: the
customer's order page from an email link, a page on another origin calling the API (CORS), and
GraphiQL working offline. ``make test`` installs chromium; screenshots of the order page go to docs/."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import order_input
from tests.conftest import ENGINE
from tests.e2e.processes import Process, base_env, cli, start_server
from tests.fakes.network import free_port

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Where the order page's screenshots go: docs/ with ``make screenshots``, else the test's own folder.
SCREENSHOTS = os.environ.get("ORDERGRAPH_SCREENSHOTS")
CREATE = """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
  ... on CreateOrderSuccess { customerAccessToken order { id number } } } }"""
TRACK = """mutation($input: AddTrackingNumberInput!) { addTrackingNumber(input: $input) { __typename } }"""
#: A page on another origin that calls the API with a staff key and writes what happened.
CALLER = """<!doctype html><meta charset="utf-8"><title>Admin</title><p id="out">calling</p>
<script>
fetch("{api}", {{method: "POST", headers: {{"Content-Type": "application/json", "Authorization": "Bearer {key}"}},
  body: JSON.stringify({{query: "{{ orders(first: 5) {{ totalCount }} }}"}})}})
  .then(r => r.json()).then(b => document.getElementById("out").textContent = "orders: " + b.data.orders.totalCount)
  .catch(e => document.getElementById("out").textContent = "blocked: " + e.name);
</script>"""


@dataclass
class Site:
    base: str
    key: str
    allowed: str
    other: str


def _static_server(directory: Path, port: int, log: Path) -> Process:
    return Process(["-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(directory)],
                   dict(os.environ), log)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    if ENGINE != "sqlite":
        pytest.skip("the pages are the same on both engines: run once, on SQLite")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"chromium must be installed for the browser tests ({CHROMIUM}); make test installs it")
        pytest.skip("chromium is not installed (make test installs it)")
    tmp = tmp_path_factory.mktemp("browser")
    allowed_port, other_port = free_port(), free_port()
    allowed, other = f"http://127.0.0.1:{allowed_port}", f"http://127.0.0.1:{other_port}"
    env = base_env(f"sqlite://{tmp}/og.sqlite3", tmp, ORDERGRAPH_CORS_ORIGINS=allowed, ORDERGRAPH_WORKER="off")
    cli(env, "migrate")
    store = cli(env, "create-store", "Browser store")
    # Requests wait for the store, so the page shows "cancellation requested" (the default cancels at once).
    cli(env, "set-self-cancel", "--store", store, "--policy", "REQUEST", "--window-minutes", "1440")
    key = cli(env, "create-key", "--store", store, "--name", "Admin",
              "--permissions", "READ_ORDERS,WRITE_ORDERS,CANCEL_ORDERS,REFUND_ORDERS")
    server, base = start_server(env, tmp)
    pages = tmp / "pages"
    pages.mkdir()
    (pages / "index.html").write_text(CALLER.format(api=f"{base}/graphql", key=key))
    statics = [_static_server(pages, allowed_port, tmp / "allowed.log"), _static_server(pages, other_port,
                                                                                        tmp / "other.log")]
    for port in (allowed_port, other_port):
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
    try:
        yield Site(base, key, allowed, other)
    finally:
        for process in (*statics, server):
            process.stop()


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def new_order(site: Site, **overrides) -> tuple[dict, str]:
    answer = httpx.post(f"{site.base}/graphql", headers={"Authorization": f"Bearer {site.key}"}, timeout=30,
                        json={"query": CREATE, "variables": {"input": order_input(notifyCustomer=False, **overrides)}})
    made = answer.json()["data"]["createOrder"]
    return made["order"], made["customerAccessToken"]


def test_the_customer_page_shows_the_order_from_its_link_and_requests_cancellation(site, browser, tmp_path):
    shots = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    order, token = new_order(site, customer={"email": "ada@example.com", "name": "Ada Lovelace"})
    page = browser.new_page(viewport={"width": 900, "height": 1100})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{site.base}/order#{token}")
    page.wait_for_selector("text=Cancel order")
    assert page.inner_text("h1") == f"Order #{order['number']}"
    text = page.inner_text("main")
    assert "Mug" in text and "141.00 USD" in text and "Open" in text and "Paid" in text
    assert page.inner_text(".lines .item-status") == "Not shipped yet"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "order-page.png"), full_page=True)
    page.select_option("#cancel-why", "ORDERED_BY_MISTAKE")
    page.fill("#cancel-comment", "I meant the blue one.")
    page.click("#cancel-button")
    page.wait_for_selector("text=Your request is with the store")
    assert "Cancellation requested" in page.inner_text("main")
    assert page.inner_text(".lines .item-status") == "Cancellation requested"  # the item's status too
    assert "waiting for the store" in page.inner_text("[data-field=cancelReason]")  # the API's own reason
    page.screenshot(path=str(shots / "order-page-cancellation-requested.png"), full_page=True)
    assert not [url for url in requests if token in url]  # the token never left in a URL
    page.close()


def test_the_customer_page_shows_tracking_and_why_it_cannot_cancel_a_shipped_order(site, browser):
    order, token = new_order(site)
    httpx.post(f"{site.base}/graphql", headers={"Authorization": f"Bearer {site.key}"}, timeout=30, json={
        "query": TRACK, "variables": {"input": {"orderId": order["id"], "trackingNumber": "1Z999AA10123456784",
                                                "carrier": "UPS"}}})
    page = browser.new_page()
    page.goto(f"{site.base}/order#{token}")
    link = page.wait_for_selector("a:text('Track 1Z999AA10123456784')")
    assert link.get_attribute("href").startswith("https://")
    assert "has shipped" in page.inner_text("[data-field=cancelReason]")
    assert not page.is_visible("#cancel-form")
    page.close()


def _staff(site: Site, query: str, variables: dict) -> dict:
    answer = httpx.post(f"{site.base}/graphql", headers={"Authorization": f"Bearer {site.key}"}, timeout=30,
                        json={"query": query, "variables": variables})
    return answer.json()["data"]


def test_the_customer_page_says_a_pickup_is_ready_and_leaves_out_removed_items(site, browser):
    order, token = new_order(site, lines=[{"sku": "MUG", "name": "Mug", "quantity": 2, "unitPrice": "12.50"},
                                          {"sku": "TEA", "name": "Loose tea", "quantity": 1, "unitPrice": "8.00"}])
    lines = _staff(site, "query($id: ID!) { order(id: $id) { lines { id sku } } }", {"id": order["id"]})
    tea = next(line["id"] for line in lines["order"]["lines"] if line["sku"] == "TEA")
    removed = _staff(site, """mutation($input: RemoveOrderItemsInput!) { removeOrderItems(input: $input) {
      __typename } }""", {"input": {"orderId": order["id"], "lines": [{"lineId": tea, "quantity": 1}],
                                    "idempotencyKey": "browser-remove", "notifyCustomer": False}})
    assert removed["removeOrderItems"]["__typename"] == "RemoveOrderItemsSuccess"
    ready = _staff(site, """mutation($input: FulfillOrderInput!) { fulfillOrder(input: $input) { __typename } }""",
                   {"input": {"orderId": order["id"], "shippingPoint": "PICKUP", "notifyCustomer": False}})
    assert ready["fulfillOrder"]["__typename"] == "FulfillOrderSuccess"
    page = browser.new_page()
    page.goto(f"{site.base}/order#{token}")
    page.wait_for_selector("text=Ready for pickup in store")
    text = page.inner_text("main")
    assert "Mug" in text and "Loose tea" not in text
    page.close()


def test_a_bad_or_missing_link_says_so(site, browser):
    page = browser.new_page()
    page.goto(f"{site.base}/order")
    assert "View order details" in page.wait_for_selector("#status-line").inner_text()
    page.goto(f"{site.base}/order#ogc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAA")
    page.reload()
    page.wait_for_selector("text=expired or is not valid")
    page.close()


def test_a_page_on_an_allowed_origin_calls_the_api_and_one_on_another_origin_is_refused(site, browser):
    new_order(site)
    page = browser.new_page()
    page.goto(f"{site.allowed}/index.html")
    page.wait_for_selector("#out:text-matches('orders: [0-9]+')")
    page.goto(f"{site.other}/index.html")
    assert page.wait_for_selector("#out:text('blocked: TypeError')")
    page.close()


def test_graphiql_loads_with_no_network_but_the_server_and_runs_a_query(site, browser):
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []

    def only_the_server(route):
        if route.request.url.startswith(site.base):
            headers = {**route.request.headers, "authorization": f"Bearer {site.key}"}
            route.continue_(headers=headers)
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_server)
    page.goto(f"{site.base}/graphql")
    page.wait_for_selector(".graphiql-container")
    page.click(".graphiql-execute-button")
    page.wait_for_selector(".result-window:has-text('totalCount')")
    assert outside == []
    context.close()
