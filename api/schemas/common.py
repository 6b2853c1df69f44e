"""Shapes shared by several resources."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]


class Strict(BaseModel):
    """Request models refuse unknown fields, so a typo is reported, not ignored."""

    model_config = ConfigDict(extra="forbid")
