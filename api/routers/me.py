"""`GET /v1/me`: any key can ask what it is allowed to do."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentKey
from api.errors import error_responses
from api.schemas.keys import Me

router = APIRouter(prefix="/me", tags=["keys"], responses=error_responses(401))


@router.get("", response_model=Me, summary="The calling key's roles and scopes")
async def whoami(principal: CurrentKey) -> Me:
    """Lets a client check its key before doing real work (no database on a warm cache)."""
    return Me.of(principal)
