"""The development mailer: every message becomes an ``.eml`` file in a folder, and the
reading side of that folder for the development mailbox page."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from email.errors import MessageError
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from pathlib import Path

from domain.notifications import OutgoingEmail
from integrations.folder import slug, write_new
from integrations.mail.message import build_message

SUFFIX = ".eml"
# What a stored message may be called: what FileMailer writes, and nothing that can leave
# the folder (no separators, no "..", no leading dot or dash).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.eml")


class FileMailer:
    """The ``Mailer`` port for development: writes ``<UTC time>-<subject>.eml`` files, sends nothing."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"FileMailer({str(self.directory)!r})"

    async def send(self, email: OutgoingEmail) -> None:
        """Write the message to the folder; a bad header raises ``ValueError`` as it would for SMTP."""
        data = build_message(email).as_bytes()
        stem = slug(email.subject) or slug(email.message_id) or "message"
        await asyncio.to_thread(write_new, self.directory, stem, SUFFIX, data)


@dataclass(frozen=True)
class MailboxEntry:
    """One stored message, as the mailbox list shows it."""

    filename: str
    subject: str
    sender: str
    recipient: str
    date: datetime | None
    message_id: str


def _parse(path: Path, *, headers_only: bool) -> EmailMessage:
    with path.open("rb") as handle:
        message = BytesParser(policy=default_policy).parse(handle, headersonly=headers_only)
    assert isinstance(message, EmailMessage)  # what the default policy builds
    return message


def _date(message: EmailMessage) -> datetime | None:
    value = message.get("Date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None


def list_messages(directory: Path, *, limit: int | None = None) -> list[MailboxEntry]:
    """The stored messages, newest first; files that cannot be read are left out."""
    folder = Path(directory)
    try:
        paths = [p for p in folder.iterdir() if _NAME.fullmatch(p.name)]
    except (FileNotFoundError, NotADirectoryError):
        return []
    # The names start with the UTC time they were written at, so the name orders them.
    paths.sort(key=lambda p: p.name, reverse=True)
    entries = []
    for path in paths:
        if limit is not None and len(entries) >= limit:
            break
        try:
            message = _parse(path, headers_only=True)
            entries.append(MailboxEntry(
                filename=path.name, subject=str(message.get("Subject", "")), sender=str(message.get("From", "")),
                recipient=str(message.get("To", "")), date=_date(message),
                message_id=str(message.get("Message-ID", "")),
            ))
        except (OSError, ValueError, LookupError, UnicodeError, MessageError):
            continue
    return entries


def message_path(directory: Path, filename: str) -> Path | None:
    """The path of a stored message, or None for a name that is not a plain ``.eml`` name in the folder."""
    if not isinstance(filename, str) or not _NAME.fullmatch(filename) or ".." in filename:
        return None
    folder = Path(directory).resolve()
    path = (folder / filename).resolve()
    # A symlink planted in the folder must not lead out of it.
    if path.parent != folder or not path.is_file():
        return None
    return path


def read_message(directory: Path, filename: str) -> EmailMessage | None:
    """A stored message, or None when the name is refused, missing or unreadable."""
    path = message_path(directory, filename)
    if path is None:
        return None
    try:
        return _parse(path, headers_only=False)
    except (OSError, ValueError, LookupError, UnicodeError, MessageError):
        return None
