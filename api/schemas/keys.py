"""API key requests and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from pydantic_core import PydanticCustomError

from api.schemas.common import Strict
from api.security.keys import KeyInfo
from api.security.principal import Principal, Role, parse_scope

SCOPE_PATTERN = r"^(\*|(sorter|carrier):[A-Za-z0-9][A-Za-z0-9._-]{0,63})$"


def _valid_scope(scope: str) -> str:
    try:
        parse_scope(scope)
    except ValueError as exc:
        raise PydanticCustomError("scope", str(exc)) from None
    return scope


Scope = Annotated[
    str,
    StringConstraints(max_length=72),
    AfterValidator(_valid_scope),
    Field(json_schema_extra={"pattern": SCOPE_PATTERN}),
]


class KeyCreate(Strict):
    roles: list[Role] = Field(min_length=1, max_length=4, examples=[["carrier"]])
    scopes: list[Scope] = Field(
        default_factory=list,
        max_length=100,
        description="'*', 'sorter:ID' or 'carrier:ID'; planner and admin keys default to '*'",
        examples=[["carrier:XYZ"]],
    )
    name: str = Field("", max_length=100, description="who or what the key is for")


class KeyOut(BaseModel):
    id: str
    name: str
    roles: list[str]
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, info: KeyInfo) -> KeyOut:
        return cls(
            id=info.id,
            name=info.name,
            roles=list(info.roles),
            scopes=list(info.scopes),
            created_at=info.created_at,
            revoked_at=info.revoked_at,
        )


class KeyCreated(KeyOut):
    key: str = Field(description="the secret: shown this once, stored only as a hash")


class KeyList(BaseModel):
    items: list[KeyOut]


class Me(BaseModel):
    key_id: str
    name: str
    roles: list[str]
    scopes: list[str]

    @classmethod
    def of(cls, principal: Principal) -> Me:
        return cls(
            key_id=principal.key_id,
            name=principal.name,
            roles=sorted(principal.roles),
            scopes=sorted(principal.scopes),
        )
