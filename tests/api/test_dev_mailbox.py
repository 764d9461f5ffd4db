"""Development email: with no SMTP server, messages are files listed at /dev/mailbox; never in production."""

import httpx

from app.main import create_app
from app.settings import Settings
from tests.api.helpers import create_order


async def test_development_mail_is_listed_at_dev_mailbox(store, deliver, http):
    order = await create_order(store)
    await deliver()
    listing = await http.get("/dev/mailbox")
    assert listing.status_code == 200 and listing.headers["cache-control"] == "no-store"
    # The test app and its worker write to different folders; the page lists the app's.
    worker_app = create_app(Settings(database_url="sqlite://:memory:", mail_dir=deliver.mail_dir))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=worker_app), base_url="http://t") as client:
        page = await client.get("/dev/mailbox")
    assert page.status_code == 200 and order["number"] in page.text


async def test_production_has_no_mailbox(tmp_path):
    production = create_app(Settings(database_url="sqlite://:memory:", environment="production", mail_dir=tmp_path))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=production), base_url="http://t") as client:
        assert (await client.get("/dev/mailbox")).status_code == 404
    with_smtp = create_app(Settings(database_url="sqlite://:memory:", smtp_url="smtp://127.0.0.1:2525",
                                    mail_dir=tmp_path))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=with_smtp), base_url="http://t") as client:
        assert (await client.get("/dev/mailbox")).status_code == 404
