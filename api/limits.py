"""List-length limits read from the app's settings while a request is validated.

Request models are defined once at import, but limits belong to each app's
settings; the edge middleware puts the settings in a context variable for the
request, and `MaxItems` reads them. A list over its limit is refused before
its items are validated: "Too many parcels (1200), maximum is 1000" (413).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from api.settings import Settings

_settings: ContextVar[Settings | None] = ContextVar("optimizer_api_settings", default=None)


def current_settings() -> Settings:
    """The settings of the app serving this request (defaults outside a request)."""
    found = _settings.get()
    if found is None:
        found = _default_settings()
    return found


@contextmanager
def settings_in_context(settings: Settings) -> Iterator[None]:
    token = _settings.set(settings)
    try:
        yield
    finally:
        _settings.reset(token)


def _default_settings() -> Settings:
    global _DEFAULTS
    if _DEFAULTS is None:
        _DEFAULTS = Settings.model_construct()
    return _DEFAULTS


_DEFAULTS: Settings | None = None


@dataclass(frozen=True)
class MaxItems:
    """`Annotated[list[Parcel], MaxItems("parcels", "max_batch_assignments")]`."""

    noun: str
    setting: str

    def __post_init__(self) -> None:
        if self.setting not in Settings.model_fields:
            raise ValueError(f"MaxItems: no setting named {self.setting!r}")

    def limit(self) -> int:
        return int(getattr(current_settings(), self.setting))

    def check(self, value: Any) -> Any:
        if isinstance(value, list | tuple | dict):
            maximum = self.limit()
            if len(value) > maximum:
                raise PydanticCustomError(
                    "too_many",
                    "Too many {noun} ({count}), maximum is {maximum}",
                    {"noun": self.noun, "count": len(value), "maximum": maximum},
                )
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        json_schema = dict(handler(schema))
        key = "maxProperties" if json_schema.get("type") == "object" else "maxItems"
        json_schema[key] = self.limit()
        return json_schema


def _capped(seconds: float) -> float:
    return current_settings().cap_time_limit(seconds)


CappedTimeLimit = Annotated[
    float,
    Field(gt=0, le=24 * 3600, description="seconds; the server lowers it to its solver_time_cap_s"),
    AfterValidator(_capped),
]
"""A solver time limit a client asks for, held under the server-wide cap."""
