"""API keys: issue, list, revoke (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import AdminKey, ServicesDep, SessionDep, WriterDep
from api.errors import BODY_ERRORS, NotFound, error_responses
from api.schemas.keys import KeyCreate, KeyCreated, KeyList, KeyOut
from api.security.keys import create_key, list_keys, revoke_key

router = APIRouter(prefix="/keys", tags=["keys"], responses=error_responses(401, 403, 422))


@router.post(
    "",
    response_model=KeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(*BODY_ERRORS),
    summary="Issue a key (the secret is shown once)",
)
def create_api_key(body: KeyCreate, _: AdminKey, session: WriterDep) -> KeyCreated:
    issued = create_key(session, [r.value for r in body.roles], body.scopes, body.name)
    session.commit()
    return KeyCreated(**KeyOut.of(issued.info).model_dump(), key=issued.secret)


@router.get("", response_model=KeyList, summary="List keys (never their secrets)")
def list_api_keys(
    _: AdminKey,
    session: SessionDep,
    include_revoked: Annotated[bool, Query(description="also list revoked keys")] = False,
) -> KeyList:
    return KeyList(items=[KeyOut.of(k) for k in list_keys(session, include_revoked)])


@router.post(
    "/{key_id}/revoke",
    response_model=KeyOut,
    responses=error_responses(404),
    summary="Revoke a key (idempotent)",
)
def revoke_api_key(key_id: str, _: AdminKey, session: WriterDep, services: ServicesDep) -> KeyOut:
    info = revoke_key(session, key_id)
    if info is None:
        raise NotFound("key", key_id, field="key_id")
    session.commit()
    services.keyring.invalidate(key_id)
    return KeyOut.of(info)
