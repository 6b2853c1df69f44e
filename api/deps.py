"""Dependencies as `Annotated` aliases, so a route's signature says what it needs.

Authentication: `X-API-Key: <key>` or `Authorization: Bearer <key>`. Roles and
scopes: `require(Role.WCS, scope="sorter:{sorter_id}")` fills the scope from
the path parameters; admin keys pass every role check.
"""

from __future__ import annotations

import string
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.errors import ApiError, Forbidden, Unauthorized
from api.jobs.runner import JobRunner
from api.security.keyring import KeyRing
from api.security.principal import Principal, Role
from api.services import Services
from api.settings import Settings

API_KEY_HEADER = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="ApiKey", description="an API key"
)
BEARER = HTTPBearer(auto_error=False, scheme_name="Bearer", description="an API key as bearer")


# Cheap accessors are `async def` so FastAPI calls them inline instead of in a thread.
async def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_settings(services: ServicesDep) -> Settings:
    return services.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """A session per request; routes commit their writes, anything uncommitted rolls back."""
    with services.database.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_writer(services: ServicesDep) -> Iterator[Session]:
    """A session for writes: routes commit once at the end, so bad input changes nothing."""
    with services.database.writer() as session:
        yield session


WriterDep = Annotated[Session, Depends(get_writer)]


async def get_jobs(services: ServicesDep) -> JobRunner:
    return services.jobs


JobsDep = Annotated[JobRunner, Depends(get_jobs)]


async def current_key(
    request: Request,
    api_key: Annotated[str | None, Security(API_KEY_HEADER)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
) -> Principal:
    """The caller's key; a cache hit costs no database round trip (the WCS hot path)."""
    presented = api_key or (bearer.credentials if bearer else None)
    if not presented:
        raise Unauthorized(
            "Missing API key: send it as 'X-API-Key: <key>' or 'Authorization: Bearer <key>'"
        )
    keyring: KeyRing = request.app.state.services.keyring
    found = keyring.cached(presented)
    if found is KeyRing.MISS:
        found = await run_in_threadpool(keyring.verify, presented)
    if found is None:
        raise Unauthorized("Invalid or revoked API key")
    assert isinstance(found, Principal)
    return found


CurrentKey = Annotated[Principal, Depends(current_key)]


def require(*roles: Role | str, scope: str | None = None) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting keys with one of `roles` (admin always) whose scopes cover `scope`."""
    wanted = frozenset(Role(r) for r in roles)
    fields = [name for _, name, _, _ in string.Formatter().parse(scope or "") if name]

    async def dependency(request: Request, principal: CurrentKey) -> Principal:
        if not principal.has_any_role(wanted):
            needs = " or ".join(sorted(wanted))
            has = ", ".join(sorted(principal.roles)) or "none"
            raise Forbidden(f"This needs the {needs} role; this key has: {has}")
        if scope is not None:
            needed = scope.format(**{f: request.path_params.get(f, "") for f in fields})
            if not principal.in_scope(needed):
                raise Forbidden(f"This key is not scoped to {needed}")
        return principal

    return dependency


AdminKey = Annotated[Principal, Depends(require(Role.ADMIN))]
PlannerKey = Annotated[Principal, Depends(require(Role.PLANNER))]
JobsKey = Annotated[Principal, Depends(require(Role.PLANNER, Role.WCS))]
SorterKey = Annotated[Principal, Depends(require(Role.WCS, scope="sorter:{sorter_id}"))]
CarrierKey = Annotated[Principal, Depends(require(Role.CARRIER, scope="carrier:{carrier_id}"))]


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


async def get_page(
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=100_000, description="items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Page:
    if limit > settings.max_page_size:
        message = f"Too many items per page ({limit}), maximum is {settings.max_page_size}"
        raise ApiError(422, message, field="limit")
    return Page(limit, offset)


PageDep = Annotated[Page, Depends(get_page)]
