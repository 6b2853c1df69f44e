"""API keys, roles and scopes."""

from api.security.keyring import KeyRing
from api.security.keys import (
    DevelopmentKey,
    IssuedKey,
    KeyInfo,
    create_key,
    development_key,
    list_keys,
    revoke_key,
)
from api.security.principal import Principal, Role, parse_scope

__all__ = [
    "DevelopmentKey",
    "IssuedKey",
    "KeyInfo",
    "KeyRing",
    "Principal",
    "Role",
    "create_key",
    "development_key",
    "list_keys",
    "parse_scope",
    "revoke_key",
]
