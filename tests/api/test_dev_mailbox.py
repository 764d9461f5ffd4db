"""Development email and texts: with no SMTP server (no Twilio account), messages are files listed at
/dev/mailbox; never in production."""

import httpx

from app.main import create_app
from app.settings import Settings
from integrations.sms import TwilioSettings
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
    (tmp_path / "20260101T000000.000000Z-kept.eml").write_bytes(b"Subject: kept\r\n\r\nbody\r\n")
    with_smtp = create_app(Settings(database_url="sqlite://:memory:", smtp_url="smtp://127.0.0.1:2525",
                                    mail_dir=tmp_path, sms_dir=tmp_path / "sms"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=with_smtp), base_url="http://t") as client:
        page = await client.get("/dev/mailbox")  # the texts still go to files; the emails are not shown
        assert page.status_code == 200 and "kept" not in page.text and "Text messages" in page.text
        assert (await client.get("/dev/mailbox/20260101T000000.000000Z-kept")).status_code == 404


async def test_development_texts_are_listed_beside_the_mail_until_twilio_is_configured(store, deliver, tmp_path):
    await store.gql("""mutation { updateNotificationSettings(input: {channels: [
        {template: ORDER_CONFIRMATION, channels: [EMAIL, SMS]}]}) { __typename } }""")
    order = await create_order(store, customer={"email": "ada@example.com", "phone": "+1 415 555 2671",
                                                "name": "<b>Ada</b>"})
    await deliver()
    both = create_app(Settings(database_url="sqlite://:memory:", mail_dir=deliver.mail_dir, sms_dir=deliver.sms_dir))
    texts_only = create_app(Settings(database_url="sqlite://:memory:", smtp_url="smtp://127.0.0.1:2525",
                                     mail_dir=deliver.mail_dir, sms_dir=deliver.sms_dir))
    neither = create_app(Settings(database_url="sqlite://:memory:", smtp_url="smtp://127.0.0.1:2525",
                                  twilio=TwilioSettings("AC" + "0" * 32, "token", "+14155550100"),
                                  sms_dir=deliver.sms_dir, mail_dir=tmp_path))
    pages = {}
    for name, app in (("both", both), ("texts_only", texts_only), ("neither", neither)):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            pages[name] = await client.get("/dev/mailbox")
    assert pages["both"].status_code == 200
    assert "<h2>Emails</h2>" in pages["both"].text and "<h2>Text messages</h2>" in pages["both"].text
    assert "+14155552671" in pages["both"].text
    assert f"thanks for your order #{order['number'].lstrip('#')}" in pages["both"].text
    assert "<h2>Emails</h2>" not in pages["texts_only"].text and "+14155552671" in pages["texts_only"].text
    assert pages["neither"].status_code == 404
