"""What an operator reads when a command cannot do its work: one clear line, never a traceback.

``explain`` turns the failures a command meets at the edges (settings, the database's address,
a database never migrated, a migration target that does not exist) into that line; anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

from db.config import is_postgres

SCHEMES = ("sqlite://", "postgres://", "postgresql://")


class CommandFailed(Exception):
    """A command cannot do its work; the message says why and what to do, in one line."""


def check_database_url(url: str, *, creating: bool) -> None:
    """A URL we can use: SQLite or PostgreSQL; a SQLite file that exists (or, for a command that
    creates it, whose folder does). Raises ``CommandFailed``; creates nothing."""
    if not url.startswith(SCHEMES):
        scheme = url.split("://", 1)[0] if "://" in url else url[:20]
        raise CommandFailed(f"ORDERGRAPH_DATABASE_URL: {scheme!r} is not supported: use sqlite://path/to/file.sqlite3 "
                            "or postgres://user:password@host:5432/database")
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://").split("?", 1)[0]
        if ":memory:" in path:
            return
        file = Path(path)
        if not creating and not file.exists():
            raise CommandFailed(f"no database at {file}: create it with `python -m app migrate` "
                                "(ORDERGRAPH_DATABASE_URL names another)")
        if creating and not file.parent.exists() and path != "data/ordergraph.sqlite3":
            raise CommandFailed(f"the folder {file.parent} does not exist: create it, or name another path in "
                                "ORDERGRAPH_DATABASE_URL")


def explain(exc: BaseException, url: str) -> str | None:
    """The one line for a failure met at the edges; None for anything else (a bug)."""
    name = type(exc).__name__
    where = _where(url)
    if name == "InvalidCatalogNameError":
        database = urlsplit(url).path.lstrip("/")
        return f"PostgreSQL at {where} has no database {database!r}: create it (createdb {database}) or fix " \
               "ORDERGRAPH_DATABASE_URL"
    if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
        return f"PostgreSQL at {where} refused the user or password in ORDERGRAPH_DATABASE_URL"
    if isinstance(exc, (ConnectionError, socket.gaierror, TimeoutError)) or name in (
            "CannotConnectNowError", "ConnectionDoesNotExistError"):
        return f"cannot reach the database at {where} ({exc.__class__.__name__}): is it running, and is " \
               "ORDERGRAPH_DATABASE_URL right?"
    if isinstance(exc, OSError) and is_postgres(url):
        return f"cannot reach PostgreSQL at {where}: {exc.strerror or exc}"
    text = str(exc)
    if name in ("OperationalError", "UndefinedTableError", "ProgrammingError") and (
            "no such table" in text or "does not exist" in text and "relation" in text):
        return f"the database at {where} has not been migrated: run `python -m app migrate` first"
    if name == "OperationalError" and "unable to open database file" in text:
        return f"cannot open the SQLite database at {where}: does its folder exist?"
    return None


def _where(url: str) -> str:
    if url.startswith("sqlite://"):
        return url.removeprefix("sqlite://").split("?", 1)[0]
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
