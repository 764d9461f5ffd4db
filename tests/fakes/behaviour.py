"""How the fake webhook receiver answers a path: its behaviours, and their spellings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = ("ok", "status", "fail-rate", "redirect", "gone", "slow", "hang", "reset", "close", "garbage", "huge-body")
#: The status these kinds answer with when none is given.
FIXED_STATUS = {"redirect": 302, "gone": 410, "huge-body": 200}

@dataclass(frozen=True)
class Behaviour:
    """How a path answers. ``status`` is the answer of ok/status/slow (and a fail-rate success)."""

    kind: str = "ok"
    status: int = 204
    retry_after: str | None = None
    fail_rate: float = 0.0
    seconds: float = 0.0
    location: str = "/redirected"
    #: A response body for ok/status/slow answers.
    body: str = ""
    #: huge-body: how many bytes, sent in 64 KiB chunks this far apart.
    size: int = 8 * 1024 * 1024
    chunk_delay: float = 0.01

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown behaviour {self.kind!r}; one of {', '.join(KINDS)}")
        if self.status == 204 and self.kind in FIXED_STATUS:
            object.__setattr__(self, "status", FIXED_STATUS[self.kind])

    @classmethod
    def parse(cls, spec: Behaviour | str | dict[str, Any] | None) -> Behaviour:
        """``ok [code]``, ``status <code> [retry-after...]`` (the rest may be an HTTP date),
        ``fail-rate <p>``, ``redirect [location]``, ``gone``, ``slow <seconds> [code]``, ``hang``,
        ``reset`` (RST), ``close`` (FIN, no answer), ``garbage``, ``huge-body [bytes]``; or a
        dict of the fields (``{"kind": "status", "status": 503, "retry_after": "30"}``)."""
        if spec is None:
            return cls()
        if isinstance(spec, Behaviour):
            return spec
        if isinstance(spec, dict):
            return cls(**spec)
        words = spec.strip().split()
        if not words:
            return cls()
        kind, args = words[0].lower(), words[1:]
        if kind == "ok":
            return cls("ok", status=int(args[0]) if args else 204)
        if kind == "status":
            if not args:
                raise ValueError("status needs a code")
            rest = spec.strip().split(None, 2)
            return cls("status", status=int(args[0]), retry_after=rest[2] if len(rest) > 2 else None)
        if kind == "fail-rate":
            return cls("fail-rate", fail_rate=float(args[0]))
        if kind == "redirect":
            return cls("redirect", location=args[0] if args else "/redirected")
        if kind == "slow":
            return cls("slow", seconds=float(args[0]), status=int(args[1]) if len(args) > 1 else 204)
        if kind == "huge-body":
            return cls("huge-body", size=int(args[0]) if args else 8 * 1024 * 1024)
        return cls(kind)
