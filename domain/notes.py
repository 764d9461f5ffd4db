"""addNote: internal notes the team sees and customers never do."""

from __future__ import annotations

from domain.errors import DomainError, ErrorCode

MAX_NOTE_LENGTH = 5000


def plan_add_note(body: str) -> str | DomainError:
    """A note is its trimmed body: never blank, never over the limit."""
    text = (body or "").strip()
    if not text:
        return DomainError(ErrorCode.NOTE_EMPTY, "The note is empty.")
    if len(text) > MAX_NOTE_LENGTH:
        return DomainError(
            ErrorCode.NOTE_TOO_LONG, f"A note has at most {MAX_NOTE_LENGTH} characters.",
            max_length=MAX_NOTE_LENGTH,
        )
    return text
