"""Fields customers never see: asking for one with a customer token is a FORBIDDEN error on it."""

from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from resolvers.common import Forbidden


class NotForCustomers(BasePermission):
    message = "Customers cannot see internal fields (notes, events, staff identities, platform settings)."

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        who = info.context.principal
        return who is None or not who.is_customer

    def on_unauthorized(self) -> None:
        raise Forbidden(None, self.message)


def staff_only() -> list[FieldExtension]:
    """For ``strawberry.field(extensions=...)``: staff and partner apps only."""
    return [PermissionExtension([NotForCustomers()], use_directives=False)]
