"""A small stateful fake of Twilio's Messages API, for tests.

It serves, on 127.0.0.1 (a Starlette app under uvicorn, in the test's event loop), what the official SDK
sends to send and read text messages: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (form:
``To``, ``From`` or ``MessagingServiceSid``, ``Body``) and ``GET .../Messages/{Sid}.json``, with Twilio's
JSON shapes for messages and errors (``{"code", "message", "more_info", "status"}``). Everything lives in
memory: accounts (SID and auth token), the senders each owns (numbers, Messaging Services), the messages
sent, recipients that texted STOP and numbers that are landlines, and every call made.

It fails like the real one: a wrong account or token is a 401 (20003); a missing ``To``, ``Body`` or
sender is a 400 (21604, 21602, 21603); a ``To`` that is not an E.164 number is 21211, a landline 21614, a
recipient that opted out 21610; a sender the account does not own is 21606 (a number) or 21705 (a
Messaging Service); a body over 1600 characters is 21617. At run time (``behave``), for the next N
requests or until changed: 500 answers (20500), 429 (20429), requests never answered (``hang``), a
message accepted with an answer that is not JSON (``garbage``), a proxy's 502 page (``bad-gateway``), and
any refusal (``refuse``, with its status and code, in Twilio's classic error body or, ``problem=True``, in
its newer RFC 9457 one). Later, ``report`` moves a message on (delivered, undelivered with
a carrier's error code...) and builds the status callback Twilio would post to the message's
``StatusCallback``, signed as Twilio signs it (HMAC-SHA1 of the URL and the sorted parameters, keyed
with the auth token). Not faked: media, scheduling, segments' encodings beyond counting 153-character
parts.

    async with FakeTwilio() as fake:
        fake.add_account(SID, TOKEN, senders=["+14155550100"])
        ... TwilioTexter(SID, TOKEN, "+14155550100", api_base=fake.url) ...
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, urlencode

import phonenumbers
from starlette.requests import Request
from starlette.responses import Response

from tests.fakes.serving import ServedFake

FAULTS = ("error", "rate-limit", "hang", "garbage", "bad-gateway", "refuse")
_MESSAGES = re.compile(r"/2010-04-01/Accounts/([^/]+)/Messages\.json")
_MESSAGE = re.compile(r"/2010-04-01/Accounts/([^/]+)/Messages/([^/]+)\.json")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
MAX_BODY = 1600


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    #: The account SID the request authenticated as ("" without credentials).
    account: str
    status: int | None = None
    received_at: float = field(default_factory=time.time)


@dataclass
class _Fault:
    mode: str
    times: int | None = None
    status: int = 400
    code: int = 21211
    problem: bool = False


@dataclass
class _Account:
    token: str
    senders: set[str] = field(default_factory=set)


def signature(token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's request signature: base64 of HMAC-SHA1, keyed with the auth token, over the URL followed by
    each parameter's name and value, sorted by name."""
    signed = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def _valid_number(text: str) -> bool:
    """E.164 and a number some country's plan has (Twilio looks the number up as well)."""
    if not _E164.fullmatch(text):
        return False
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, None))
    except phonenumbers.NumberParseException:
        return False


def _error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status}


class FakeTwilio(ServedFake):
    """See the module docstring; ``async with FakeTwilio() as fake`` serves it at ``fake.url``."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        #: Every message accepted, by SID, as the API shows it.
        self.messages: dict[str, dict[str, Any]] = {}
        self.opted_out: set[str] = set()
        self.landlines: set[str] = set()
        #: Each message's StatusCallback, when it was given one.
        self.status_callbacks: dict[str, str] = {}
        self._accounts: dict[str, _Account] = {}
        self._fault: _Fault | None = None

    # ------------------------------------------------------------ set up

    def add_account(self, sid: str, token: str, *, senders: list[str] = ()) -> None:  # type: ignore[assignment]
        self._accounts[sid] = _Account(token, set(senders))

    def behave(self, mode: str, *, times: int | None = None, status: int = 400, code: int = 21211,
               problem: bool = False) -> None:
        """``ok`` (clears a fault), ``error`` (500), ``rate-limit`` (429), ``hang``, ``garbage`` (a 201 that is
        not JSON; the message is sent), ``bad-gateway`` (a proxy's 502 page), ``refuse`` (``status`` and
        ``code``; ``problem``: as an RFC 9457 body): for the next ``times`` requests, or until changed."""
        if mode == "ok":
            self._fault = None
        elif mode in FAULTS:
            self._fault = _Fault(mode, times, status, code, problem)
        else:
            raise ValueError(f"unknown mode {mode!r}; ok or one of {', '.join(FAULTS)}")

    def sent_to(self, number: str) -> list[dict[str, Any]]:
        """The messages accepted for ``number``, oldest first."""
        return [m for m in self.messages.values() if m["to"] == number]

    # ------------------------------------------------------------ serving

    async def _handle(self, request: Request) -> Response:
        body = (await request.body()).decode("utf-8", "replace")
        params = dict(parse_qsl(body if request.method == "POST" else request.url.query, keep_blank_values=True))
        account = self._authenticated(request.headers.get("authorization", ""))
        call = Call(request.method, request.url.path, params, account or "")
        self.calls.append(call)
        fault = self._take_fault()
        mode = fault.mode if fault is not None else None
        if mode == "hang":
            await self._stopping.wait()
            status, payload = _error(503, 20503, "The fake is shutting down.")
        elif mode == "garbage":  # accepted, with an answer a proxy mangled
            status, payload = self._answer(call, account)
            call.status = status
            return Response("<html>OK</html>", status, media_type="text/html")
        elif mode == "bad-gateway":
            call.status = 502
            return Response("<html><body><h1>502 Bad Gateway</h1></body></html>", 502, media_type="text/html")
        elif mode == "rate-limit":
            status, payload = _error(429, 20429, "Too Many Requests")
        elif mode == "error":
            status, payload = _error(500, 20500, "Internal Server Error")
        elif fault is not None and mode == "refuse" and fault.problem:
            status, payload = fault.status, {"type": f"https://www.twilio.com/docs/errors/{fault.code}",
                                             "title": "Refused", "status": fault.status, "code": fault.code,
                                             "detail": f"The fake refuses this request ({fault.code})."}
        elif fault is not None and mode == "refuse":
            status, payload = _error(fault.status, fault.code, f"The fake refuses this request ({fault.code}).")
        else:
            status, payload = self._answer(call, account)
        call.status = status
        return Response(json.dumps(payload), status, media_type="application/json")

    def _take_fault(self) -> _Fault | None:
        fault = self._fault
        if fault is not None and fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self._fault = None
        return fault

    def _authenticated(self, header: str) -> str | None:
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (ValueError, UnicodeError):
            return None
        found = self._accounts.get(user)
        return user if found is not None and secrets.compare_digest(found.token, password) else None

    def _answer(self, call: Call, account: str | None) -> tuple[int, dict[str, Any]]:
        many, one = _MESSAGES.fullmatch(call.path), _MESSAGE.fullmatch(call.path)
        path_account = (many or one).group(1) if (many or one) else None
        if account is None or (path_account is not None and path_account != account):
            return _error(401, 20003, "Authenticate")
        if many and call.method == "POST":
            return self._create(account, call.params)
        if one and call.method == "GET":
            found = self.messages.get(one.group(2))
            if found is None or found["account_sid"] != account:
                return _error(404, 20404, f"The requested resource {call.path} was not found")
            return 200, dict(found)
        return _error(404, 20404, f"The requested resource {call.path} was not found")

    def _create(self, account: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        to, body = params.get("To", ""), params.get("Body", "")
        sender, service = params.get("From", ""), params.get("MessagingServiceSid", "")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not sender and not service:
            return _error(400, 21603, "A 'From' phone number is required.")
        if not body.strip():
            return _error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if not _valid_number(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        owned = self._accounts[account].senders
        if service and service not in owned:
            return _error(400, 21705, "The Messaging Service Sid is invalid.")
        if sender and sender not in owned:
            return _error(400, 21606, f"The From phone number {sender} is not a valid, SMS-capable inbound "
                          "phone number or short code for your account.")
        if to in self.landlines:
            return _error(400, 21614, f"'To' number {to} is not a valid mobile number")
        if to in self.opted_out:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=True)
        message = {
            "sid": sid, "account_sid": account, "to": to, "from": sender or None,
            "messaging_service_sid": service or None, "body": body, "status": "accepted" if service else "queued",
            "num_segments": str(1 if len(body) <= 160 else -(-len(body) // 153)), "num_media": "0",
            "direction": "outbound-api", "api_version": "2010-04-01", "price": None, "price_unit": "USD",
            "error_code": None, "error_message": None, "date_created": now, "date_updated": now, "date_sent": None,
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json", "subresource_uris": {},
        }
        self.messages[sid] = message
        if params.get("StatusCallback"):
            self.status_callbacks[sid] = params["StatusCallback"]
        return 201, dict(message)

    # ------------------------------------------------------------ later outcomes

    def report(self, sid: str, status: str, error_code: int | None = None) -> tuple[str, bytes, dict[str, str]]:
        """Move a message on and build the status callback Twilio would send about it: the URL it goes to,
        the form body, and the headers (``X-Twilio-Signature``)."""
        message = self.messages[sid]
        message["status"] = status
        message["error_code"] = error_code
        url = self.status_callbacks[sid]
        params = {"AccountSid": message["account_sid"], "ApiVersion": "2010-04-01", "From": message["from"] or "",
                  "To": message["to"], "MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status}
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        token = self._accounts[message["account_sid"]].token
        return url, urlencode(params).encode(), {"Content-Type": "application/x-www-form-urlencoded",
                                                 "X-Twilio-Signature": signature(token, url, params)}
