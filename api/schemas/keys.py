"""API key requests and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from api.schemas.common import Strict
from api.security.keys import KeyInfo
from api.security.principal import Principal, Role

Scope = Annotated[str, StringConstraints(min_length=1, max_length=72)]


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
