"""The development texter: every text message becomes a ``.txt`` file in a folder, and the reading
side of that folder for the development mailbox page.

A file holds a few header lines (``To``, ``From``, ``Date``, ``Reference``), a blank line and the
body, as the phone would show it.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from domain.notifications import OutgoingSms, SmsError
from domain.phones import E164
from integrations.folder import write_new

SUFFIX = ".txt"
#: What a development text comes from (no number is rented for it).
SENDER = "Ordergraph (development)"
# What a stored message may be called: what FileTexter writes, and nothing that can leave the folder.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.txt")
_HEADERS = ("To", "From", "Date", "Reference")


class FileTexter:
    """The ``Texter`` port for development: writes ``<UTC time>-<number>.txt`` files, sends nothing."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"FileTexter({str(self.directory)!r})"

    async def aclose(self) -> None:
        return None

    async def send(self, sms: OutgoingSms) -> str | None:
        """Write the message; the file's name (without ``.txt``) is its reference."""
        if not E164.fullmatch(sms.recipient):
            raise SmsError(f"{sms.recipient!r} is not a phone number in E.164 form", transient=False)
        if any(ch in sms.reference for ch in "\r\n"):
            raise ValueError("a reference is one line")
        head = {"To": sms.recipient, "From": SENDER, "Date": datetime.now(UTC).isoformat(),
                "Reference": sms.reference}
        data = ("".join(f"{key}: {value}\n" for key, value in head.items()) + "\n" + sms.body).encode()
        path = await asyncio.to_thread(write_new, self.directory, sms.recipient.lstrip("+"), SUFFIX, data)
        return path.name.removesuffix(SUFFIX)


@dataclass(frozen=True)
class StoredText:
    """One stored text message."""

    filename: str
    recipient: str
    date: datetime | None
    reference: str
    body: str


def _read(path: Path) -> StoredText | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return None
    head, sep, body = text.partition("\n\n")
    if not sep:
        return None
    fields = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    if not set(_HEADERS) <= fields.keys():
        return None
    try:
        date: datetime | None = datetime.fromisoformat(fields["Date"])
    except ValueError:
        date = None
    return StoredText(filename=path.name, recipient=fields["To"], date=date, reference=fields["Reference"],
                      body=body)


def list_texts(directory: Path, *, limit: int | None = None) -> list[StoredText]:
    """The stored text messages, newest first; files that cannot be read are left out."""
    try:
        paths = sorted((p for p in Path(directory).iterdir() if _NAME.fullmatch(p.name) and not p.is_symlink()),
                       key=lambda p: p.name, reverse=True)
    except (FileNotFoundError, NotADirectoryError):
        return []
    texts = []
    for path in paths:
        if limit is not None and len(texts) >= limit:
            break
        if (found := _read(path)) is not None:
            texts.append(found)
    return texts
