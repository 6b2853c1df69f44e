"""Settings from the environment, with the limits the models read at validation time."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel

from api.limits import CappedTimeLimit, MaxItems, settings_in_context
from api.settings import Settings, load_settings
from optimizer.errors import InputError


def test_database_and_ray_use_their_conventional_variable_names(monkeypatch, tmp_path):
    """DATABASE_URL and RAY_ADDRESS are read without the OPTIMIZER_ prefix."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db:5432/opt")
    monkeypatch.setenv("RAY_ADDRESS", "ray://head:10001")
    monkeypatch.setenv("OPTIMIZER_SOLVER_TIME_CAP_S", "12.5")
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://u@db:5432/opt"
    assert settings.ray_address == "ray://head:10001"
    assert settings.solver_time_cap_s == 12.5


def test_default_database_is_a_sqlite_file_in_the_state_dir(tmp_path):
    """Without DATABASE_URL the service keeps its data in <state_dir>/optimizer.db."""
    settings = Settings(state_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/optimizer.db"


def test_in_memory_sqlite_is_refused_with_the_reason():
    """Worker processes must share the database, so :memory: is an error naming DATABASE_URL."""
    with pytest.raises(InputError) as raised:
        load_settings(database_url="sqlite:///:memory:")
    assert raised.value.problems[0].field == "DATABASE_URL"
    assert "worker processes share the database" in raised.value.problems[0].message


def test_time_limits_are_capped_by_the_server():
    """A client's time limit is held under the cap, and is the cap when absent or not positive."""
    settings = Settings(solver_time_cap_s=30)
    assert settings.cap_time_limit(5) == 5
    assert settings.cap_time_limit(500) == 30
    assert settings.cap_time_limit(None) == 30
    assert settings.cap_time_limit(-1) == 30


class Batch(BaseModel):
    parcels: Annotated[list[int], MaxItems("parcels", "max_batch_assignments")]


def test_list_limit_follows_the_settings_in_context():
    """The same model accepts 3 items under one app's settings and refuses them under another's."""
    Batch(parcels=[1, 2, 3])
    with settings_in_context(Settings(max_batch_assignments=2)), pytest.raises(Exception) as err:
        Batch(parcels=[1, 2, 3])
    assert err.value.errors()[0]["type"] == "too_many"
    assert err.value.errors()[0]["msg"] == "Too many parcels (3), maximum is 2"


def test_list_limit_is_checked_before_items_are_validated():
    """An over-long list of junk reports the count, not a thousand item errors."""
    with settings_in_context(Settings(max_batch_assignments=2)), pytest.raises(Exception) as err:
        Batch(parcels=["x"] * 1000)
    assert [e["type"] for e in err.value.errors()] == ["too_many"]


def test_max_items_needs_a_real_setting():
    """A typo in the setting name fails at import time, not on the first request."""
    with pytest.raises(ValueError, match="no setting named"):
        MaxItems("parcels", "max_parcles")


class Solve(BaseModel):
    time_limit_s: CappedTimeLimit = 10


def test_capped_time_limit_in_a_request_model_is_lowered_to_the_cap():
    """A request asking for more solver time than the server allows gets the cap instead."""
    with settings_in_context(Settings(solver_time_cap_s=30)):
        assert Solve(time_limit_s=600).time_limit_s == 30
        assert Solve(time_limit_s=5).time_limit_s == 5
    with pytest.raises(Exception, match="greater than 0"):
        Solve(time_limit_s=0)
