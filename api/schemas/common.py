"""Shapes shared by several resources."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from api.schemas.params import ID_PATTERN

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]


class Strict(BaseModel):
    """Request models refuse unknown fields, so a typo is reported, not ignored."""

    model_config = ConfigDict(extra="forbid")
