"""Settings from the environment, with defaults that run on a fresh machine."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from app.http import parse_cors_origins
from app.persisted import load_manifest
from db.crypto import parse_encryption_keys
from domain.access import LIMITS, ActorKind, RequestLimits
from domain.creation import clean_email
from domain.errors import DomainError
from integrations.mail import parse_smtp_url
from integrations.sms import TwilioSettings

DEFAULT_DATABASE_URL = "sqlite://data/ordergraph.sqlite3"
#: Where Twilio posts delivery reports (``app.sms_webhooks``).
TWILIO_STATUS_PATH = "/webhooks/twilio/status"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    #: Signs customer access tokens. When unset, a random key is created once
    #: and kept in the database, so every server process on it agrees.
    secret_key: str | None = None
    #: "development" or "production" (no field suggestions, no GraphiQL).
    environment: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1_000_000
    #: Per kind of caller (None: anonymous): query limits, page size, introspection, requests a minute.
    limits: Mapping[ActorKind | None, RequestLimits] = field(default_factory=lambda: dict(LIMITS))
    #: "embedded": ``serve`` runs a delivery worker in its process; "off": run ``worker`` processes.
    worker: str = "embedded"
    #: Where Ordergraph's own pages are reached, for links in emails (default: http://host:port).
    public_url: str | None = None
    #: smtp://user:password@host:port or smtps://...; unset: emails are written to ``mail_dir``.
    smtp_url: str | None = None
    mail_from: str = "orders@ordergraph.localhost"
    mail_dir: Path = Path("data/mail")
    #: The Twilio account text messages go through; unset: they are written to ``sms_dir``.
    twilio: TwilioSettings | None = None
    sms_dir: Path = Path("data/sms")
    #: Let webhooks go to loopback and private addresses (tests, the demo, an operator's own network).
    webhooks_allow_private: bool = False
    #: Fernet keys that encrypt secrets at rest (provider keys, webhook secrets); the first encrypts.
    encryption_keys: tuple[str, ...] = ()
    #: Stripe's API address (None: Stripe itself); tests and proxies name another.
    stripe_api_base: str | None = None
    #: What the server logs: debug, info (the default), warning, error or critical.
    log_level: str = "info"
    #: EasyPost's API address (None: EasyPost itself); tests and proxies name another.
    easypost_api_base: str | None = None
    #: A refund still pending at its provider is looked up again after this long (then less often).
    reconcile_after: timedelta = timedelta(minutes=30)
    #: Origins whose pages may call the API (CORS); none until configured.
    cors_origins: tuple[str, ...] = ()
    #: A manifest of the only documents public callers (customer tokens, no credential) may run.
    trusted_documents: Path | None = None
    #: How long an idempotency key is remembered.
    idempotency_ttl: timedelta = timedelta(hours=24)

    @property
    def base_url(self) -> str:
        """Where the server's pages are reached (``ORDERGRAPH_PUBLIC_URL``, or the address it listens on)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def twilio_status_url(self) -> str | None:
        """Where Twilio reports each text's fate: on ``ORDERGRAPH_PUBLIC_URL`` (Twilio must reach it), so
        with a Twilio account and a public URL only."""
        if self.twilio is None or not self.public_url:
            return None
        return f"{self.base_url}{TWILIO_STATUS_PATH}"

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {
            "database_url": env.get("ORDERGRAPH_DATABASE_URL", DEFAULT_DATABASE_URL),
            "secret_key": env.get("ORDERGRAPH_SECRET_KEY") or None,
            "environment": env.get("ORDERGRAPH_ENV", "development"),
            "host": env.get("ORDERGRAPH_HOST", "127.0.0.1"),
            "port": _port(env.get("ORDERGRAPH_PORT", "8000")),
            "limits": with_rate_limits(LIMITS, env.get("ORDERGRAPH_RATE_LIMITS", "")),
            "worker": _choice("ORDERGRAPH_WORKER", env.get("ORDERGRAPH_WORKER", "embedded"), ("embedded", "off")),
            "public_url": env.get("ORDERGRAPH_PUBLIC_URL") or None,
            "smtp_url": _smtp_url(env.get("ORDERGRAPH_SMTP_URL") or None),
            "mail_from": _address("ORDERGRAPH_MAIL_FROM", env.get("ORDERGRAPH_MAIL_FROM") or Settings.mail_from),
            "mail_dir": Path(env.get("ORDERGRAPH_MAIL_DIR") or Settings.mail_dir),
            "twilio": TwilioSettings.parse(
                env.get("ORDERGRAPH_TWILIO_ACCOUNT_SID"), env.get("ORDERGRAPH_TWILIO_AUTH_TOKEN"),
                env.get("ORDERGRAPH_SMS_FROM"),
                _http_url("ORDERGRAPH_TWILIO_API_BASE", env.get("ORDERGRAPH_TWILIO_API_BASE") or None)),
            "sms_dir": Path(env.get("ORDERGRAPH_SMS_DIR") or Settings.sms_dir),
            "webhooks_allow_private": _flag("ORDERGRAPH_WEBHOOKS_ALLOW_PRIVATE",
                                            env.get("ORDERGRAPH_WEBHOOKS_ALLOW_PRIVATE", "")),
            "encryption_keys": parse_encryption_keys(env.get("ORDERGRAPH_ENCRYPTION_KEY", "")),
            "log_level": _choice("ORDERGRAPH_LOG_LEVEL", env.get("ORDERGRAPH_LOG_LEVEL", "info").lower(),
                                 ("debug", "info", "warning", "error", "critical")),
            "stripe_api_base": _http_url("ORDERGRAPH_STRIPE_API_BASE", env.get("ORDERGRAPH_STRIPE_API_BASE") or None),
            "easypost_api_base": _http_url("ORDERGRAPH_EASYPOST_API_BASE",
                                           env.get("ORDERGRAPH_EASYPOST_API_BASE") or None),
            "reconcile_after": _minutes("ORDERGRAPH_PAYMENTS_RECONCILE_MINUTES",
                                        env.get("ORDERGRAPH_PAYMENTS_RECONCILE_MINUTES", "30")),
            "cors_origins": parse_cors_origins(env.get("ORDERGRAPH_CORS_ORIGINS", "")),
            "trusted_documents": _manifest(env.get("ORDERGRAPH_TRUSTED_DOCUMENTS") or None),
            "idempotency_ttl": _hours("ORDERGRAPH_IDEMPOTENCY_HOURS", env.get("ORDERGRAPH_IDEMPOTENCY_HOURS", "24")),
        }
        values.update(overrides)
        if values["environment"] == "production" and not values["secret_key"]:
            # Without it, a random one is kept in the database in plain text: fine on a laptop, not for a
            # deployment, where a copy of the database would then forge every customer link.
            raise ValueError("ORDERGRAPH_SECRET_KEY must be set in production (a long random string, e.g. "
                             "python -c 'import secrets; print(secrets.token_urlsafe(48))')")
        return cls(**values)  # type: ignore[arg-type]


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value.strip().lower() not in choices:
        raise ValueError(f"{name}: {value!r} is not one of {', '.join(choices)}")
    return value.strip().lower()


def _smtp_url(value: str | None) -> str | None:
    """The SMTP URL, checked now rather than at the first email (the error never shows the password)."""
    if value is not None:
        try:
            parse_smtp_url(value)
        except ValueError as exc:
            raise ValueError(f"ORDERGRAPH_SMTP_URL: {exc}") from None
    return value


def _address(name: str, value: str) -> str:
    checked = clean_email(value, name, required=True)
    if isinstance(checked, DomainError) or checked is None:
        raise ValueError(f"{name}: {value!r} is not an email address (the name comes from the store's settings)")
    return checked


def _http_url(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name}: {value!r} is not an http(s) URL such as https://api.stripe.com")
    return value.strip().rstrip("/")


def _hours(name: str, value: str) -> timedelta:
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= 24 * 365:
        raise ValueError(f"{name}: {value!r} is not a number of hours from 1 to 8760 (a year)")
    return timedelta(hours=int(text))


def _port(value: str) -> int:
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"ORDERGRAPH_PORT: {value!r} is not a port number (1 to 65535)")
    return int(text)


def _manifest(value: str | None) -> Path | None:
    """The trusted-documents manifest, read now so that a bad one stops the start with a clear line."""
    if value is None:
        return None
    load_manifest(Path(value))
    return Path(value)


def _minutes(name: str, value: str) -> timedelta:
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= 10080:
        raise ValueError(f"{name}: {value!r} is not a number of minutes from 1 to 10080 (a week)")
    return timedelta(minutes=int(text))


def _flag(name: str, value: str) -> bool:
    """Unset, empty, 0, false, no, off: false; 1, true, yes, on: true; anything else is an error."""
    text = value.strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"{name}: {value!r} is not a yes or no (1/0, true/false)")


def with_rate_limits(
    limits: Mapping[ActorKind | None, RequestLimits], spec: str
) -> dict[ActorKind | None, RequestLimits]:
    """The limits with requests per minute changed as ``spec`` says, e.g. ``staff=3000,anonymous=60``
    (kinds: staff, partner, customer, anonymous). Raises ValueError on anything else."""
    kinds = {"staff": ActorKind.STAFF, "partner": ActorKind.PARTNER, "customer": ActorKind.CUSTOMER, "anonymous": None}
    out = dict(limits)
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, value = item.partition("=")
        if name.strip().lower() not in kinds or not value.strip().isdigit() or int(value) < 1:
            raise ValueError(f"ORDERGRAPH_RATE_LIMITS: {item!r} is not <staff|partner|customer|anonymous>=<per minute>")
        kind = kinds[name.strip().lower()]
        out[kind] = replace(out[kind], requests_per_minute=int(value))
    return out


def ensure_sqlite_directory(database_url: str) -> None:
    """SQLite creates the file but not its folder."""
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        path = Path(database_url.removeprefix("sqlite://").split("?", 1)[0])
        path.parent.mkdir(parents=True, exist_ok=True)


#: Where a newcomer's own pages run while trying the demo: common local development servers
#: (Vite, Create React App and Next.js, Angular, a static server), and the server's own address
#: under its other name (a page served from 127.0.0.1 calling localhost is another origin).
DEV_SERVER_PORTS = (3000, 4200, 5173, 8080)


def demo_cors_origins(port: int) -> tuple[str, ...]:
    """``serve --demo``: the bundled pages' origins and common local development servers."""
    return tuple(f"http://{host}:{p}" for p in (port, *DEV_SERVER_PORTS) for host in ("127.0.0.1", "localhost"))
