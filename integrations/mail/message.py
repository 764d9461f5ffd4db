"""An ``OutgoingEmail`` as a MIME message: multipart/alternative (text, then HTML), safe headers."""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from datetime import datetime, timezone
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, getaddresses

from domain.notifications import OutgoingEmail

#: Headers the message sets itself; ``OutgoingEmail.headers`` may not add a second one.
RESERVED_HEADERS = frozenset(name.lower() for name in (
    "From", "To", "Cc", "Bcc", "Reply-To", "Sender", "Subject", "Date", "Message-ID", "MIME-Version",
    "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Auto-Submitted",
    "X-Auto-Response-Suppress",
))

# RFC 5322 field names: printable ASCII without the colon.
_HEADER_NAME = re.compile(r"[!-9;-~]{1,76}")
# The left part of our Message-IDs: RFC 5322 dot-atom text, conservatively.
_ID_PART = re.compile(r"[A-Za-z0-9_=+-]{1,64}(?:\.[A-Za-z0-9_=+-]{1,64}){0,3}")
_DOMAIN = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")
#: UTF-8 bytes per RFC 2047 encoded word: 45 bytes are 60 base64 characters, a 72-character word.
_WORD_BYTES = 45


def _encoded_words(text: str) -> list[str]:
    """``text`` as RFC 2047 base64 words of at most 75 characters, never splitting a character."""
    words, chunk = [], b""
    for ch in text:
        data = ch.encode()
        if len(chunk) + len(data) > _WORD_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += data
    words.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words if w]


class _EncodedAddressHeader(str):
    """An address header with a non-ASCII display name, written exactly as encoded here.

    Python 3.11 refolds address headers itself, and when a non-ASCII display name also holds
    one of ``( ) < > [ ] : ; @ \\ , "`` it writes those characters outside the encoded word:
    ``=?utf-8?q?M=C3=BCller?= <GmbH> <shop@example.com>``, a header naming another address.
    The email package writes a header object that has a ``name`` and a ``fold`` as is.
    """

    name: str

    def __new__(cls, name: str, display_name: str, address: str) -> _EncodedAddressHeader:
        words = _encoded_words(display_name)
        header = super().__new__(cls, f"{' '.join(words)} <{address}>")
        header.name = name
        header._words = words
        header._address = address
        return header

    def fold(self, *, policy) -> str:
        """The header as it goes on the wire: one encoded word a line, then the address."""
        fold = policy.linesep + " "
        return f"{self.name}: {fold.join(self._words)}{fold}<{self._address}>{policy.linesep}"


def _address_header(name: str, value: str) -> str:
    display, address = getaddresses([value])[0]
    if "=?" in display:  # already RFC 2047-encoded, as formataddr does for non-ASCII names
        try:
            display = str(make_header(decode_header(display)))
        except (HeaderParseError, LookupError, UnicodeError):
            raise ValueError(f"the {name} header has a malformed encoded name") from None
    if display.isascii():
        return value
    return _EncodedAddressHeader(name, display, address)


def check_header(name: str, value: str) -> str:
    """The value, or ``ValueError`` when it could end the header early (header injection)."""
    if not isinstance(value, str):
        raise ValueError(f"the {name} header must be text")
    # CR and LF end a header on the wire; the other line separators and control characters
    # are refused too, because some relays and clients treat them as line ends.
    bad = [ch for ch in value if ch in "\r\n" or (unicodedata.category(ch) in ("Cc", "Zl", "Zp") and ch != "\t")]
    if bad:
        raise ValueError(f"the {name} header contains a line break or control character")
    return value


def address_of(name: str, value: str) -> str:
    """The one address of an address header ("Shop <a@b>" -> "a@b"); ``ValueError`` for none or several."""
    check_header(name, value)
    pairs = getaddresses([value])
    if len(pairs) != 1 or "@" not in pairs[0][1] or any(ch.isspace() for ch in pairs[0][1]):
        raise ValueError(f"the {name} header must hold exactly one email address")
    return pairs[0][1]


def sender_address(name: str | None, address: str) -> str:
    """The From value "Name <address>", the name quoted or RFC 2047-encoded as it needs."""
    if address_of("sender", address) != address:
        raise ValueError("the sender address must be a plain email address")
    # A store's name is merchant input: line breaks and control characters become spaces.
    clean = " ".join("".join(ch if ch.isprintable() else " " for ch in (name or "")).split())
    return formataddr((clean, address)) if clean else address


def new_message_id(domain: str, unique: str) -> str:
    """A Message-ID that depends only on ``unique`` (the notification's id), so a retried
    message keeps it and a mail client shows a duplicate delivery once."""
    if not _DOMAIN.fullmatch(domain):
        raise ValueError("the Message-ID domain must be a host name")
    left = unique if _ID_PART.fullmatch(unique) else hashlib.sha256(unique.encode()).hexdigest()[:32]
    return f"<ordergraph.{left}@{domain.lower()}>"


def build_message(email: OutgoingEmail, *, now: datetime | None = None) -> EmailMessage:
    """The MIME message to send; ``ValueError`` when a header could be injected or is reserved."""
    address_of("From", email.sender)
    address_of("To", email.recipient)
    if email.reply_to:
        address_of("Reply-To", email.reply_to)
    check_header("Subject", email.subject)
    check_header("Message-ID", email.message_id)
    if not (email.message_id.startswith("<") and email.message_id.endswith(">") and "@" in email.message_id):
        raise ValueError("the Message-ID must look like <unique@domain>")
    for name, value in email.headers.items():
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError("a header name must be printable ASCII without a colon")
        if name.lower() in RESERVED_HEADERS:
            raise ValueError(f"the {name} header is set by the mailer")
        check_header(name, value)

    message = EmailMessage(policy=SMTP)
    message["From"] = _address_header("From", email.sender)
    message["To"] = _address_header("To", email.recipient)
    if email.reply_to:
        message["Reply-To"] = _address_header("Reply-To", email.reply_to)
    message["Subject"] = email.subject
    message["Date"] = format_datetime(now or datetime.now(timezone.utc))
    message["Message-ID"] = email.message_id
    # RFC 3834: vacation responders and other robots must not answer a notification.
    message["Auto-Submitted"] = "auto-generated"
    # Exchange's equivalent of Auto-Submitted, for out-of-office replies.
    message["X-Auto-Response-Suppress"] = "All"
    for name, value in email.headers.items():
        message[name] = value
    # Quoted-printable keeps every line 7-bit and short, so no relay has to re-encode it
    # (a server without 8BITMIME) and long HTML lines are never cut.
    message.set_content(email.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(email.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message
