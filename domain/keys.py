"""API keys: who may hold one, with what name and which permissions."""

from __future__ import annotations

from dataclasses import dataclass

from domain.access import DEFAULT_PERMISSIONS, ActorKind, Permission, missing_grant
from domain.errors import DomainError, ErrorCode, invalid_input

MAX_KEY_NAME = 200
KEY_KINDS = (ActorKind.STAFF, ActorKind.PARTNER)


@dataclass(frozen=True)
class NewKey:
    kind: ActorKind
    name: str
    permissions: frozenset[Permission]


def plan_create_key(kind: str, name: str, permissions: frozenset[Permission] | None) -> NewKey | DomainError:
    """A key is STAFF (a person) or PARTNER (an app), has a name, and at least one permission;
    partner apps never manage keys. No permissions named: the defaults."""
    try:
        actor_kind = ActorKind(kind.upper())
    except ValueError:
        actor_kind = None
    if actor_kind not in KEY_KINDS:
        return invalid_input("kind", "a key's kind is STAFF or PARTNER")
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_KEY_NAME:
        return invalid_input("name", f"a key needs a name of 1 to {MAX_KEY_NAME} characters")
    chosen = DEFAULT_PERMISSIONS if permissions is None else permissions
    if not chosen:
        return invalid_input("permissions", "a key needs at least one permission")
    if actor_kind is ActorKind.PARTNER and Permission.MANAGE_KEYS in chosen:
        return invalid_input("permissions", "partner apps cannot manage keys")
    if actor_kind is ActorKind.PARTNER and Permission.CANCEL_PLATFORM_ORDERS in chosen:
        return invalid_input("permissions", "partner apps cannot cancel platform-run orders: it is support's, "
                             "in an emergency")
    return NewKey(actor_kind, cleaned, frozenset(chosen))


def plan_revoke_key(target: frozenset[Permission], *, target_revoked: bool, revoker: frozenset[Permission],
                    other_key_managers: int) -> Permission | DomainError | None:
    """A key revokes only keys whose permissions it holds all of (a read-only key with MANAGE_KEYS
    cannot take an all-powerful key away); the answer is then the first permission it lacks. The
    store keeps at least one active key that can manage keys. None: the key may be revoked."""
    if (lacking := missing_grant(revoker, target)) is not None:
        return lacking
    if not target_revoked and Permission.MANAGE_KEYS in target and other_key_managers == 0:
        return DomainError(ErrorCode.LAST_KEY_MANAGER, "This is the store's last key that can manage keys: create "
                           "another one first (or revoke it with the command line).")
    return None
