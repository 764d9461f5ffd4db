"""The ``Texter`` port over Twilio's official SDK: one text message sent through the Messages API.

Rules this adapter keeps:

- **The SDK speaks Twilio; httpx carries it.** The SDK builds the request, reads the answer and raises
  Twilio's errors with their codes. Its transport is ``HttpxTwilioClient``, an ``AsyncHttpClient`` (the
  SDK's extension point for transports) on httpx, as every other outgoing call of Ordergraph: its own
  connection pool, and ``api_base`` sends Twilio's requests to another address (a fake in tests, a proxy).
  The SDK's ``TWILIO_EDGE``/``TWILIO_REGION``/``TWILIO_AUTH_TOKEN`` environment variables are not read:
  the settings say where and as whom.
- **No retries of its own.** The worker tries again later, on its schedule, and the call never waits for
  one. Twilio's Messages API takes no idempotency key, so a text whose answer was lost (a timeout, a
  dropped connection, a 5xx after Twilio queued it) may arrive twice: texts are sent at least once. The
  status callback carries our notification's id, so a report of the first sending settles the message
  before its retry goes (``app.sms_webhooks``).
- **One deadline per call** (``timeout``), around the whole call, not per phase.
- **Only ``SmsError`` escapes**, never with the auth token in it: Twilio's code and message, or our words.
  A refusal fails the message at once only when it is about the recipient or the message (not a number,
  not a mobile, the customer texted STOP, no body); every other refusal is retried and logged, since it is
  Twilio being busy or failing, or settings the operator mends (credentials, the sender, a country not
  enabled, a trial account), after which the waiting messages still go. Twilio advises against building
  on many codes: this list is short on purpose.
- **An answer that says accepted but cannot be read** (a 2xx that is not a message) counts as sent, with
  no SID: sending it again would text the customer twice.
- **Delivery reports.** With a ``status_callback`` URL, Twilio reports each message's fate there;
  ``read_status_callback`` verifies the report's signature with the SDK's ``RequestValidator`` (the URL
  Twilio was given, the auth token) and reads it as a ``TextReport``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from contextvars import ContextVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from twilio.base import values
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.request_validator import HMAC_SHA1, RequestValidator, get_signature_algorithm
from twilio.rest import Client

from domain.gateway import NotificationRejected
from domain.notifications import MAX_SMS_LENGTH, OutgoingSms, SmsError, TextReport
from domain.phones import E164

log = logging.getLogger("ordergraph.sms")

#: Where the SDK sends Messages API requests.
TWILIO_API = "https://api.twilio.com"
#: Twilio's refusals about the recipient or the message itself, which no retry mends: not a valid number
#: (21211), cannot route to it (21612), not a mobile (21614), the recipient texted STOP (21610), no
#: recipient (21604), no body (21602), too long (21617). https://www.twilio.com/docs/api/errors
PERMANENT_CODES = frozenset({21211, 21602, 21604, 21610, 21612, 21614, 21617})
#: A Messaging Service's SID (it then picks the sender from its pool of numbers).
_SERVICE = re.compile(r"MG[0-9a-fA-F]{32}")
#: A short code, or an alphanumeric sender ID (letters, digits, spaces: 11 at most, one letter at least).
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
#: The status callback's query parameter that names our notification (Twilio posts to the URL as given).
NOTIFICATION_PARAM = "notification"
#: The HTTP status of the answer the transport last received in this task (None: none yet).
_ANSWERED: ContextVar[int | None] = ContextVar("twilio_answered", default=None)


def check_sender(value: str) -> str:
    """The sender as Twilio takes it (``ValueError`` otherwise): a number in E.164 form, a short code,
    an alphanumeric sender ID, or a Messaging Service SID (``MG...``)."""
    text = value.strip()
    if not any(p.fullmatch(text) for p in (_SERVICE, E164, _SHORT_CODE, _ALPHANUMERIC)):
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
        _ANSWERED.set(answer.status_code)
        return Response(answer.status_code, answer.text, answer.headers)

    async def aclose(self) -> None:
        await self._http.aclose()


class TwilioTexter:
    """Sends text messages through Twilio; see the module docstring."""

    def __init__(self, account_sid: str, auth_token: str, sender: str, *, api_base: str | None = None,
                 status_callback: str | None = None, timeout: float = 20.0) -> None:
        """``status_callback``: where Twilio reports each message's fate (None: it reports nothing)."""
        if not auth_token.strip():
            raise ValueError("a Twilio auth token is needed")
        self.sender = check_sender(sender)
        self.status_callback = status_callback
        self._timeout = timeout
        self._http = HttpxTwilioClient(api_base, timeout=timeout)
        self._client = Client(check_account_sid(account_sid), auth_token, http_client=self._http)
        # The SDK reads TWILIO_EDGE and TWILIO_REGION from the environment and rewrites the host with them.
        self._client.edge = self._client.region = None

    def __repr__(self) -> str:
        return f"TwilioTexter(sender={self.sender!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, sms: OutgoingSms) -> str | None:
        """Hand the message to Twilio; its SID (``SM...``), or None when Twilio accepted it with an answer
        that cannot be read. Raises ``SmsError``."""
        if not sms.body.strip():
            raise SmsError("a text message needs a body", transient=False)
        if len(sms.body) > MAX_SMS_LENGTH:
            raise SmsError(f"Twilio takes at most {MAX_SMS_LENGTH} characters in a message", transient=False)
        sender = ({"messaging_service_sid": self.sender} if _SERVICE.fullmatch(self.sender)
                  else {"from_": self.sender})
        callback = (f"{self.status_callback}?{urlencode({NOTIFICATION_PARAM: sms.reference})}"
                    if self.status_callback else values.unset)
        _ANSWERED.set(None)
        try:
            async with asyncio.timeout(self._timeout):
                # smart_encoded: Twilio swaps typographic quotes and dashes for plain ones, so that a text
                # stays in the 160-character alphabet instead of 70-character parts.
                message = await self._client.messages.create_async(
                    to=sms.recipient, body=sms.body, status_callback=callback, smart_encoded=True, **sender)
        except TwilioRestException as refused:
            raise _error(refused.status, refused.code, str(refused.msg or "").split(": ", 1)[-1]) from None
        except TwilioServiceException as refused:  # Twilio's newer error bodies (RFC 9457)
            raise _error(refused.status, refused.code, str(refused.detail or refused.title or "")) from None
        except TimeoutError:
            raise SmsError(f"Twilio took longer than {self._timeout:g} s", transient=True) from None
        except httpx.HTTPError as failed:  # never chained: httpx's request carries the credentials
            raise SmsError(f"Twilio could not be reached: {type(failed).__name__}", transient=True) from None
        except (ValueError, TypeError, AttributeError, KeyError) as garbled:
            answered = _ANSWERED.get()
            if answered is None or not 200 <= answered < 300:
                raise  # not Twilio's answer: our bug, or the SDK's
            # A 2xx the SDK could not read as a message: Twilio took it.
            log.warning("Twilio accepted a text (notification %s) with an answer that could not be read (%s); "
                        "it counts as sent", sms.reference, type(garbled).__name__)
            return None
        if message.status in ("failed", "undelivered"):
            code = f" {message.error_code}" if message.error_code else ""
            raise SmsError(f"Twilio{code}: {message.error_message or 'the message failed'}", transient=False)
        if not message.sid:
            log.warning("Twilio accepted a text (notification %s) without naming it; it counts as sent",
                        sms.reference)
        return message.sid or None


def _error(given_status: object, code: object, text: str) -> SmsError:
    """What Twilio's refusal means for the message: permanent only when it is about the recipient or the
    message; anything else is retried, and logged for the operator."""
    status = given_status if isinstance(given_status, int) else 0
    text = text.strip() or "no reason given"
    number = code if isinstance(code, int) and code != status else None
    reason = (f"Twilio {number}: {text}" if number else f"Twilio answered {status}: {text}")[:300]
    if number in PERMANENT_CODES:
        return SmsError(reason, transient=False)
    if 400 <= status < 500 and status != 429:
        log.warning("Twilio refused a text; it will be tried again, but the settings may need mending: %s", reason)
    return SmsError(reason, transient=True)


def read_status_callback(url: str, params: dict[str, str], signature: str | None, auth_token: str,
                         signature_settings: str | None = None) -> TextReport:
    """A verified delivery report: ``url`` is the URL Twilio posted to, as it was given (the status callback
    with its query), ``params`` the form it posted, ``signature`` its ``X-Twilio-Signature`` and
    ``signature_settings`` its ``X-Twilio-Webhooks-Signature-Settings``. Raises ``NotificationRejected``
    when it is not Twilio's, ``ValueError`` when it is Twilio's but says no message or state."""
    if get_signature_algorithm(signature_settings) != HMAC_SHA1:
        # Signed with a shared key (HMAC-SHA256), not the auth token: only that key could verify it.
        raise NotificationRejected("Twilio signed it with a shared key (X-Twilio-Webhooks-Signature-Settings); "
                                   "Ordergraph verifies auth-token signatures: turn the account's shared-key "
                                   "signing off")
    if not signature or not RequestValidator(auth_token).validate(url, params, signature):
        raise NotificationRejected("the X-Twilio-Signature header does not match")
    sid = params.get("MessageSid") or params.get("SmsSid")
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    if not sid or not status:
        raise ValueError("a status callback names MessageSid and MessageStatus")
    notification = parse_qs(urlsplit(url).query).get(NOTIFICATION_PARAM, [None])[0]
    if status in DELIVERED:
        return TextReport(sid, True, notification_id=notification)
    if status not in UNDELIVERED:
        return TextReport(sid, None, notification_id=notification)
    code = (params.get("ErrorCode") or "").strip()
    words = UNDELIVERED_REASONS.get(code, f"Twilio reports the message {status}")
    return TextReport(sid, False, f"Twilio {code}: not delivered: {words}" if code else f"not delivered: {words}",
                      notification_id=notification)
