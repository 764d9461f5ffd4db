"""The SMTP mailer: ``smtp://[user:password@]host[:port]`` (STARTTLS whenever the server offers
it) or ``smtps://...`` (TLS from the first byte), options ``?timeout=<seconds>`` and ``?verify=false``.

Each message goes over its own connection: notifications are few and far between, and a
fresh connection never inherits the state of a failed one. Failures become ``MailError``:
a 5xx reply is permanent, everything else (4xx, network, TLS, timeouts, credentials) is
retried by the worker.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import ssl
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import aiosmtplib

from domain.notifications import MailError, OutgoingEmail
from integrations.mail.message import address_of, build_message

log = logging.getLogger("ordergraph.mail")

DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 600.0
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
MAX_REASON = 300
# RFC 4954 replies about credentials: 530 authentication required, 534 mechanism too weak,
# 535 credentials invalid, 538 encryption required for the mechanism. They are 5xx, but the
# cure is an operator fixing the settings, after which the waiting mail must still go.
AUTH_CODES = frozenset({530, 534, 535, 538})

_HOST = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# Never echo a piece of a malformed URL: an unencoded "/", "?" or "#" in a password moves
# part of the password into the host, port or query that an error message would show.
_ENCODE_HINT = " (percent-encode @ : / ? # in the user name and password)"


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to reach the SMTP server; ``repr`` and ``redacted`` never show the password."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    verify: bool = True

    def redacted(self) -> str:
        """The URL without the password, for logs and error messages."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{quote(self.username, safe='')}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{user}{host}:{self.port}"


def _bad(problem: str) -> ValueError:
    return ValueError(f"invalid SMTP URL: {problem}")


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return len(host) <= 253 and bool(_HOST.fullmatch(host))


def _option_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _bad("verify must be true or false")


def _option_timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise _bad("timeout must be a number of seconds") from None
    if not math.isfinite(seconds) or seconds <= 0 or seconds > MAX_TIMEOUT:
        raise _bad(f"timeout must be more than 0 and at most {MAX_TIMEOUT:g} seconds")
    return seconds


def parse_smtp_url(url: str) -> SmtpConfig:
    """The settings an ``smtp://`` or ``smtps://`` URL names; ``ValueError`` (without the password) if bad."""
    if not isinstance(url, str) or not url.strip():
        raise _bad("it is empty")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise _bad("it cannot be parsed; the port must be a number from 1 to 65535" + _ENCODE_HINT) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise _bad("it must start with smtp:// (STARTTLS when offered) or smtps:// (implicit TLS)")
    host = parts.hostname or ""
    if not host or not _valid_host(host):
        raise _bad("the host is missing or not a host name" + _ENCODE_HINT)
    if port is not None and not 1 <= port <= 65535:
        raise _bad("the port must be a number from 1 to 65535")
    if parts.path not in ("", "/") or parts.fragment:
        raise _bad("only scheme, credentials, host, port and options are allowed" + _ENCODE_HINT)
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not username:
        raise _bad("a password needs a user name")

    timeout, verify = DEFAULT_TIMEOUT, True
    seen: set[str] = set()
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in seen:
            raise _bad("an option is given twice")
        seen.add(key)
        if key == "timeout":
            timeout = _option_timeout(value)
        elif key == "verify":
            verify = _option_bool(value)
        else:
            raise _bad("the only options are timeout and verify" + _ENCODE_HINT)
    return SmtpConfig(host=host, port=port or DEFAULT_PORTS[scheme], implicit_tls=scheme == "smtps",
                      username=username, password=password, timeout=timeout, verify=verify)


def _reply(code: int, text: str) -> str:
    return f"{code} {' '.join(str(text).split())}".strip()


def _tls_problem(exc: BaseException | None) -> ssl.SSLError | None:
    for _ in range(10):  # aiosmtplib wraps the ssl error once or twice; chains can loop
        if exc is None or isinstance(exc, ssl.SSLError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _error(reason: str, *, transient: bool) -> MailError:
    # A reason is stored with the notification and shown to the merchant: short and on one line.
    line = " ".join(reason.split())
    return MailError(line if len(line) <= MAX_REASON else line[: MAX_REASON - 1] + "…", transient=transient)


def classify(exc: Exception) -> MailError:
    """The ``MailError`` for what aiosmtplib or the network raised: permanent only for a 5xx reply."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        exc = exc.recipients[0]
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError) or (
            isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code in AUTH_CODES):
        return _error(f"authentication failed: {_reply(exc.code, exc.message)}", transient=True)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _error(_reply(exc.code, exc.message), transient=not 500 <= exc.code <= 599)
    tls = _tls_problem(exc)
    if tls is not None:
        detail = getattr(tls, "verify_message", None) or tls.reason or type(tls).__name__
        return _error(f"TLS handshake failed: {detail}", transient=True)
    if isinstance(exc, (aiosmtplib.SMTPTimeoutError, TimeoutError)):
        text = str(exc) or "no answer"
        return _error(text if "timed out" in text.lower() else f"timed out: {text}", transient=True)
    if isinstance(exc, (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, OSError)):
        return _error(f"connection failed: {exc}", transient=True)
    # SMTPNotSupported, "no AUTH offered" and the like: a server or setting to change, then retry.
    return _error(f"SMTP error: {exc}", transient=True)


class SmtpMailer:
    """The ``Mailer`` port over SMTP."""

    def __init__(self, url: str, *, local_hostname: str | None = None) -> None:
        self.config = parse_smtp_url(url)
        self._local_hostname = local_hostname

    def __repr__(self) -> str:
        return f"SmtpMailer({self.config.redacted()!r})"

    def _scrub(self, error: MailError) -> MailError:
        # A server may echo what it was sent; a password must not reach the notification's row.
        password = self.config.password
        if password and password in error.reason:
            return MailError(error.reason.replace(password, "***"), transient=error.transient)
        return error

    async def send(self, email: OutgoingEmail) -> None:
        """Deliver one message; ``MailError`` when the server refuses it or cannot be reached."""
        try:
            message = build_message(email)
            sender, recipient = address_of("From", email.sender), address_of("To", email.recipient)
        except ValueError as exc:
            raise MailError(f"invalid message: {exc}", transient=False) from None
        config = self.config
        client = aiosmtplib.SMTP(
            hostname=config.host, port=config.port, username=config.username, password=config.password,
            use_tls=config.implicit_tls, start_tls=False if config.implicit_tls else None,
            validate_certs=config.verify, timeout=config.timeout, local_hostname=self._local_hostname,
        )
        try:
            try:
                await client.connect()
                # One recipient: its refusal raises SMTPRecipientsRefused, so no partial result to check.
                await client.send_message(message, sender=sender, recipients=[recipient])
            except (aiosmtplib.SMTPException, OSError) as exc:
                error = self._scrub(classify(exc))
                log.warning("mail %s via %s:%s not sent: %s", email.message_id, config.host, config.port,
                            error.reason)
                raise error from exc
            log.info("mail %s sent via %s:%s", email.message_id, config.host, config.port)
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                pass  # the message was accepted; a failed goodbye must not make it look unsent
        finally:
            client.close()
