"""The ``Texter`` port over Twilio's official SDK: one text message sent through the Messages API.

Rules this adapter keeps:

- **The SDK speaks Twilio; httpx carries it.** The SDK builds the request, reads the answer and raises
  ``TwilioRestException`` with Twilio's own error code. Its transport is ``HttpxTwilioClient``, an
  ``AsyncHttpClient`` (the SDK's extension point for transports) on the httpx every other outgoing call
  of Ordergraph uses: one connection pool, and ``api_base`` sends Twilio's requests to another address
  (a fake in tests, a proxy) without touching the SDK's URLs anywhere else.
- **No retries of its own.** The worker tries again later, on its schedule, and the call never waits for
  one.
- **One deadline per call** (``timeout``), around the whole call, not per phase.
- **Delivery reports.** With a ``status_callback`` URL, Twilio reports each message's fate there;
  ``read_status_callback`` verifies the report's signature with the SDK's ``RequestValidator`` (the URL
  Twilio was given, the auth token) and reads it as a ``TextReport``.
- **Only ``SmsError`` escapes**, never with the auth token in it: Twilio's code and message, or our words.
  Whether it is tried again follows Twilio's answer: a recipient Twilio refuses (21211 not a number,
  21614 not a mobile, 21610 the customer texted STOP) fails at once; a busy or failing Twilio (429, 5xx),
  an unreachable one, and settings only the operator can mend (credentials, the sender) are retried,
  so the waiting messages still go once they are mended.
"""

from __future__ import annotations

import asyncio
import logging
import re

import httpx
from twilio.base import values
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from domain.gateway import NotificationRejected
from domain.notifications import OutgoingSms, SmsError, TextReport

log = logging.getLogger("ordergraph.sms")

#: Where the SDK sends Messages API requests.
TWILIO_API = "https://api.twilio.com"
#: Twilio's own limit on a message's body.
MAX_BODY = 1600
#: Twilio's answers that the operator mends in the settings (credentials, the sender) rather than the
#: recipient: https://www.twilio.com/docs/api/errors
SETTINGS_CODES = frozenset({20003, 20005, 21212, 21606, 21659, 21660, 21705})
#: A Messaging Service's SID (it then picks the sender from its pool of numbers).
_SERVICE = re.compile(r"MG[0-9a-fA-F]{32}")
#: A phone number (E.164), a short code, or an alphanumeric sender ID (letters, digits, spaces: 11 at most).
_NUMBER = re.compile(r"\+[1-9][0-9]{6,14}")
_SHORT_CODE = re.compile(r"[0-9]{3,8}")
_ALPHANUMERIC = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_ACCOUNT = re.compile(r"AC[0-9a-fA-F]{32}")
#: Twilio's message states: delivered, never to be, or (the others) still on their way.
DELIVERED = frozenset({"delivered", "read"})
UNDELIVERED = frozenset({"undelivered", "failed", "canceled"})
#: Why a carrier did not deliver a text Twilio accepted, in a merchant's words
#: (https://www.twilio.com/docs/api/errors/30003 and the following).
UNDELIVERED_REASONS = {
    "30003": "the phone is off or out of reach",
    "30004": "the recipient blocks messages",
    "30005": "no such phone number",
    "30006": "a landline, or a carrier that takes no texts",
    "30007": "the carrier filtered it as spam",
    "30008": "the carrier did not say why",
}


def check_sender(value: str) -> str:
    """The sender as Twilio takes it (``ValueError`` otherwise): a number in E.164 form, a short code,
    an alphanumeric sender ID, or a Messaging Service SID (``MG...``)."""
    text = value.strip()
    if not any(p.fullmatch(text) for p in (_SERVICE, _NUMBER, _SHORT_CODE, _ALPHANUMERIC)):
        raise ValueError(f"{value!r} is not a sender Twilio takes: a number such as +14155552671, a short code, "
                         "an alphanumeric sender ID of at most 11 characters, or a Messaging Service SID (MG...)")
    return text


def check_account_sid(value: str) -> str:
    text = value.strip()
    if not _ACCOUNT.fullmatch(text):
        raise ValueError(f"{value!r} is not a Twilio Account SID (AC followed by 32 hexadecimal digits)")
    return text


class HttpxTwilioClient(AsyncHttpClient):
    """The SDK's transport over httpx; ``api_base`` (None: Twilio itself) replaces ``https://api.twilio.com``."""

    def __init__(self, api_base: str | None = None, *, timeout: float = 20.0) -> None:
        super().__init__(log, True, timeout)
        self._api_base = api_base.rstrip("/") if api_base else None
        self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def request(self, method: str, url: str, params=None, data=None, headers=None, auth=None,
                      timeout=None, allow_redirects=False) -> Response:
        if self._api_base and url.startswith(TWILIO_API + "/"):
            url = self._api_base + url[len(TWILIO_API):]
        answer = await self._http.request(method.upper(), url, params=params, data=data, headers=headers,
                                          auth=auth, timeout=timeout or self.timeout)
        return Response(answer.status_code, answer.text, answer.headers)

    async def aclose(self) -> None:
        await self._http.aclose()


class TwilioTexter:
    """Sends text messages through Twilio; see the module docstring."""

    def __init__(self, account_sid: str, auth_token: str, sender: str, *, api_base: str | None = None,
                 status_callback: str | None = None, timeout: float = 20.0) -> None:
        """``status_callback``: where Twilio reports each message's fate (None: it reports nothing)."""
        self.sender = check_sender(sender)
        self.status_callback = status_callback
        self._timeout = timeout
        self._http = HttpxTwilioClient(api_base, timeout=timeout)
        self._client = Client(check_account_sid(account_sid), auth_token, http_client=self._http)

    def __repr__(self) -> str:
        return f"TwilioTexter(sender={self.sender!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, sms: OutgoingSms) -> str:
        """Hand the message to Twilio; its SID (``SM...``). Raises ``SmsError``."""
        if not sms.body.strip():
            raise SmsError("a text message needs a body", transient=False)
        if len(sms.body) > MAX_BODY:
            raise SmsError(f"Twilio takes at most {MAX_BODY} characters in a message", transient=False)
        sender = ({"messaging_service_sid": self.sender} if _SERVICE.fullmatch(self.sender)
                  else {"from_": self.sender})
        try:
            async with asyncio.timeout(self._timeout):
                message = await self._client.messages.create_async(
                    to=sms.recipient, body=sms.body, status_callback=self.status_callback or values.unset, **sender)
        except TwilioRestException as refused:
            raise _error(refused) from None
        except TimeoutError:
            raise SmsError(f"Twilio took longer than {self._timeout:g} s", transient=True) from None
        except httpx.HTTPError as failed:  # never chained: httpx's request carries the credentials
            raise SmsError(f"Twilio could not be reached: {type(failed).__name__}", transient=True) from None
        except (TwilioException, ValueError) as garbled:  # an answer that is not Twilio's JSON
            raise SmsError(f"Twilio's answer could not be read: {type(garbled).__name__}", transient=True) from None
        if message.status in ("failed", "undelivered"):
            code = f" {message.error_code}" if message.error_code else ""
            raise SmsError(f"Twilio{code}: {message.error_message or 'the message failed'}", transient=False)
        if not message.sid:
            raise SmsError("Twilio answered without the message's SID", transient=True)
        return message.sid


def _error(refused: TwilioRestException) -> SmsError:
    status, code = int(refused.status or 0), refused.code
    text = str(refused.msg or "").split(": ", 1)[-1].strip() or "no reason given"
    reason = f"Twilio {code}: {text}" if code and code != status else f"Twilio answered {status}: {text}"
    transient = status == 429 or status >= 500 or status in (401, 403) or code in SETTINGS_CODES
    return SmsError(reason[:300], transient=transient)


def read_status_callback(url: str, params: dict[str, str], signature: str | None, auth_token: str) -> TextReport:
    """A verified delivery report: ``url`` is the ``status_callback`` Twilio was given, ``params`` the form it
    posted, ``signature`` its ``X-Twilio-Signature``. Raises ``NotificationRejected`` when it is not Twilio's."""
    if not signature or not RequestValidator(auth_token).validate(url, params, signature):
        raise NotificationRejected("the X-Twilio-Signature header does not match")
    sid, status = params.get("MessageSid") or params.get("SmsSid"), params.get("MessageStatus") or params.get(
        "SmsStatus")
    if not sid or not status:
        raise NotificationRejected("a status callback names MessageSid and MessageStatus")
    status = status.lower()
    if status in DELIVERED:
        return TextReport(sid, True)
    if status not in UNDELIVERED:
        return TextReport(sid, None)
    code = (params.get("ErrorCode") or "").strip()
    words = UNDELIVERED_REASONS.get(code, f"Twilio reports the message {status}")
    return TextReport(sid, False, f"Twilio {code}: not delivered: {words}" if code else f"not delivered: {words}")
