"""Development transports' folders: each message a new file, written whole or not at all."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

MAX_SLUG = 48


def slug(text: str) -> str:
    """A short ASCII file-name part: "Your order #1001 is confirmed" -> "your-order-1001-is-confirmed"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:MAX_SLUG].rstrip("-")


def write_new(directory: Path, stem: str, suffix: str, data: bytes) -> Path:
    """Write ``<UTC time>-<stem><suffix>`` in ``directory`` (made if missing), never over another file.
    The name starts with the time, so names sort as the messages were written."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    # Written under a name no listing shows, then renamed: a reader never sees half a message.
    fd, temp = tempfile.mkstemp(prefix=".incoming-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        for attempt in range(1, 1000):
            target = directory / f"{stamp}-{stem}{'' if attempt == 1 else f'-{attempt}'}{suffix}"
            if not target.exists():  # two messages in the same microsecond keep both
                os.replace(temp, target)
                return target
        raise FileExistsError(f"no free file name for {stamp}-{stem}")
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
