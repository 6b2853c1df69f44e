"""The Ray job backend, exercised only where ray is installed."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from api.jobs.backends import import_ray
from optimizer.errors import InputError
from tests.api.conftest import finished, issue_keys, wait_for_job

HAS_RAY = importlib.util.find_spec("ray") is not None


def test_missing_ray_is_a_clear_setting_error(monkeypatch):
    """RAY_ADDRESS without ray installed names the variable and how to install the extra."""
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets without the package
    with pytest.raises(InputError) as raised:
        import_ray()
    assert raised.value.problems[0].field == "RAY_ADDRESS"
    assert "parcel-optimizer[ray]" in raised.value.problems[0].message


@pytest.mark.slow
@pytest.mark.skipif(
    not HAS_RAY, reason="ray not installed: `make install` adds it (dev extra), or pip install ray"
)
def test_job_runs_on_a_local_ray_cluster(make_client):
    """With RAY_ADDRESS=local a job runs as a Ray task and its result is stored the same way."""
    client = make_client(ray_address="local")
    keys = issue_keys(client.app)
    job = client.post(
        "/v1/jobs",
        json={"kind": "test.count", "params": {"n": 20}},
        headers={"X-API-Key": keys.planner},
    ).json()
    done = wait_for_job(client, job["id"], keys.planner, finished, timeout=180)
    assert done["status"] == "succeeded"
    assert done["result"]["total"] == 190
