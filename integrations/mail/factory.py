"""Which mailer the worker uses: SMTP when a server is configured, files in development."""

from __future__ import annotations

from pathlib import Path

from domain.ports import Mailer
from integrations.mail.files import FileMailer
from integrations.mail.smtp import SmtpMailer


def mailer_from_settings(smtp_url: str | None, mail_dir: Path) -> Mailer:
    """An ``SmtpMailer`` for a configured SMTP URL (``ValueError`` if it is bad), else a ``FileMailer``."""
    if smtp_url and smtp_url.strip():
        return SmtpMailer(smtp_url)
    return FileMailer(mail_dir)
