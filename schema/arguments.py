"""Field arguments that several fields share, described once."""

from __future__ import annotations

from typing import Annotated

import strawberry

#: ``after`` of the forward-only lists: the event feed and an endpoint's deliveries.
After = Annotated[str | None, strawberry.argument(description="Continue after this cursor.")]
