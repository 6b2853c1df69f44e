"""Every knob of the service in one object, read from the environment.

Limits live here (not in the request models) so an operator can tighten them
without a release; models read them at validation time through `api.limits`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from optimizer.errors import InputError, Problem

ENV_PREFIX = "OPTIMIZER_"


class Settings(BaseSettings):
    """Service settings; each field is also an `OPTIMIZER_<NAME>` environment variable."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, populate_by_name=True, extra="ignore", frozen=True
    )

    environment: Literal["development", "production"] = Field(
        "development", description="development prints a first key on `serve`"
    )
    state_dir: Path = Field(Path("var"), description="where the default SQLite database lives")
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("DATABASE_URL", "OPTIMIZER_DATABASE_URL"),
        description="SQLAlchemy URL; default sqlite:///<state_dir>/optimizer.db",
    )
    ray_address: str | None = Field(
        None,
        validation_alias=AliasChoices("RAY_ADDRESS", "OPTIMIZER_RAY_ADDRESS"),
        description="run jobs on this Ray cluster ('local' starts one) instead of a process pool",
    )
    migrate_on_startup: bool = True

    # Request limits: refused before any model is built.
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024, le=1024**3)
    max_batch_assignments: int = Field(1000, ge=1)
    max_chute_events: int = Field(1000, ge=1)
    max_chutes: int = Field(2000, ge=1)
    max_forecast_destinations: int = Field(5000, ge=1)
    max_network_nodes: int = Field(5000, ge=1)
    max_network_lanes: int = Field(50_000, ge=1)
    max_shipments: int = Field(20_000, ge=1)
    max_tracking_events: int = Field(1000, ge=1)
    max_carrier_outcomes: int = Field(100_000, ge=1)
    max_scenario_changes: int = Field(100, ge=1)
    max_page_size: int = Field(500, ge=1)

    # Solving and jobs.
    solver_time_cap_s: float = Field(60.0, gt=0, le=24 * 3600)
    job_workers: int = Field(2, ge=1, le=256)
    job_max_pending: int = Field(100, ge=1)
    job_max_attempts: int = Field(2, ge=1, le=10)
    job_heartbeat_s: float = Field(5.0, gt=0, le=300)
    job_stale_after_s: float = Field(60.0, gt=0)
    job_progress_interval_s: float = Field(0.25, ge=0, le=60)

    # Sorting: live state is snapshotted this often when it changed (and on events that matter).
    sorting_snapshot_interval_s: float = Field(5.0, gt=0, le=3600)
    gc_compact_interval_s: float = Field(
        2.0, gt=0, le=3600, description="collect new objects and freeze survivors this often"
    )

    # Auth.
    key_cache_ttl_s: float = Field(5.0, ge=0, le=3600)

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, url: str | None) -> str | None:
        """Plain postgres URLs get the psycopg 3 driver, the one we install."""
        if url is None or not url.strip():
            return None
        if ":memory:" in url or url.rstrip("/") in ("sqlite:", "sqlite:/"):
            raise ValueError("use a file path: job worker processes share the database")
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force (the SQLite file under `state_dir` by default)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.state_dir / 'optimizer.db').resolve()}"

    def cap_time_limit(self, requested_s: float | None) -> float:
        """A client's solver time limit, bounded by the server-wide cap."""
        if requested_s is None or requested_s <= 0:
            return self.solver_time_cap_s
        return min(float(requested_s), self.solver_time_cap_s)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; a bad value becomes an InputError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            problems.append(
                Problem(field=_variable(name), message=error["msg"], code="invalid_setting")
            )
        raise InputError(problems) from None


def _variable(name: str) -> str:
    """The environment variable behind a settings field (DATABASE_URL, OPTIMIZER_JOB_WORKERS)."""
    field = Settings.model_fields.get(name)
    if field is not None and isinstance(field.validation_alias, AliasChoices):
        return str(field.validation_alias.choices[0])
    return name if name.isupper() else f"{ENV_PREFIX}{name.upper()}"
