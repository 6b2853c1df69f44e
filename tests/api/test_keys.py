"""API keys: issued once, stored hashed, scoped, revocable over HTTP and from the CLI."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from api.db.models import ApiKeyRow
from api.db.types import utcnow
from optimizer.cli import main
from tests.api.conftest import Keys, issue_keys

H = Keys.header


@pytest.fixture
def client_keys(make_client):
    client = make_client()
    return client, issue_keys(client.app)


def test_admin_issues_a_key_that_works_at_once(client_keys):
    """POST /v1/keys answers 201 with the secret; the new key authenticates with its grant."""
    client, keys = client_keys
    response = client.post(
        "/v1/keys",
        json={"roles": ["carrier"], "scopes": ["carrier:XYZ"], "name": "XYZ logistics"},
        headers=H(keys.admin),
    )
    assert response.status_code == 201
    created = response.json()
    me = client.get("/v1/me", headers=H(created["key"])).json()
    assert me == {
        "key_id": created["id"],
        "name": "XYZ logistics",
        "roles": ["carrier"],
        "scopes": ["carrier:XYZ"],
    }


def test_secret_is_stored_only_as_its_sha256(client_keys):
    """The database holds the sha256 of the key, never the key; listings never show it."""
    client, keys = client_keys
    created = client.post("/v1/keys", json={"roles": ["planner"]}, headers=H(keys.admin)).json()
    with client.app.state.services.database.session() as session:
        rows = session.scalars(select(ApiKeyRow)).all()
    stored = {r.id: r for r in rows}[created["id"]]
    assert stored.key_hash == hashlib.sha256(created["key"].encode()).hexdigest()
    assert all(created["key"] not in str(vars(r)) for r in rows)
    listing = client.get("/v1/keys", headers=H(keys.admin)).text
    assert created["key"] not in listing and created["id"] in listing


def test_planner_and_admin_keys_default_to_all_scopes(client_keys):
    """A planner key created without scopes gets '*'."""
    client, keys = client_keys
    created = client.post("/v1/keys", json={"roles": ["planner"]}, headers=H(keys.admin)).json()
    assert created["scopes"] == ["*"]


@pytest.mark.parametrize(
    ("grant", "field", "message"),
    [
        ({"roles": ["wcs"]}, "scopes", "a wcs key needs a scope 'sorter:ID' (or '*')"),
        ({"roles": ["admin"], "scopes": ["sorter:S1"]}, "scopes", "an admin key must have scope"),
        ({"roles": ["carrier"], "scopes": ["carrier:"]}, "scopes.0", "the id must be 1-64"),
        ({"roles": ["carrier"], "scopes": ["depot:X"]}, "scopes.0", "must be '*', 'sorter:ID'"),
    ],
    ids=["wcs-unscoped", "admin-scoped", "empty-id", "unknown-scope-kind"],
)
def test_bad_grants_are_422_and_store_nothing(client_keys, grant, field, message):
    """A malformed scope or an impossible role/scope mix is a 422 on scopes; no key is added."""
    client, keys = client_keys
    before = client.get("/v1/keys", headers=H(keys.admin)).json()["items"]
    response = client.post("/v1/keys", json=grant, headers=H(keys.admin))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field
    assert message in response.json()["error"]["message"]
    assert client.get("/v1/keys", headers=H(keys.admin)).json()["items"] == before


def test_revoked_key_is_refused_at_once_and_revoke_is_idempotent(client_keys):
    """After POST .../revoke the key answers 401; revoking again returns the same time."""
    client, keys = client_keys
    me = client.get("/v1/me", headers=H(keys.planner)).json()
    first = client.post(f"/v1/keys/{me['key_id']}/revoke", headers=H(keys.admin))
    assert first.status_code == 200 and first.json()["revoked_at"]
    assert client.get("/v1/me", headers=H(keys.planner)).status_code == 401
    again = client.post(f"/v1/keys/{me['key_id']}/revoke", headers=H(keys.admin))
    assert again.json()["revoked_at"] == first.json()["revoked_at"]
    active = client.get("/v1/keys", headers=H(keys.admin)).json()["items"]
    assert me["key_id"] not in {k["id"] for k in active}
    everything = client.get("/v1/keys?include_revoked=true", headers=H(keys.admin)).json()
    assert me["key_id"] in {k["id"] for k in everything["items"]}


def test_revoking_an_unknown_key_is_404(client_keys):
    """Revoking an id that does not exist answers 404 on key_id."""
    client, keys = client_keys
    response = client.post("/v1/keys/ffffffffffff/revoke", headers=H(keys.admin))
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "key_id"


def test_key_revoked_by_another_process_stops_after_the_cache_ttl(make_client):
    """With a warm cache the key keeps working until the TTL; then the revocation applies."""
    client = make_client(key_cache_ttl_s=3600)
    keys = issue_keys(client.app)
    assert client.get("/v1/me", headers=H(keys.planner)).status_code == 200
    key_id = keys.planner.split("_")[1]
    with client.app.state.services.database.transaction() as session:
        session.get(ApiKeyRow, key_id).revoked_at = utcnow()
    assert client.get("/v1/me", headers=H(keys.planner)).status_code == 200  # cached
    cold = make_client(key_cache_ttl_s=0)  # same database, cold cache
    assert cold.get("/v1/me", headers=H(keys.planner)).status_code == 401


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_create_list_revoke(tmp_path, monkeypatch, capsys, make_client):
    """`optimizer keys create` prints the key once; list shows it; revoke stops it working."""
    monkeypatch.setenv("OPTIMIZER_STATE_DIR", str(tmp_path))
    code, out, _ = run_cli(
        ["keys", "create", "--role", "carrier", "--scope", "carrier:XYZ", "--json"], capsys
    )
    assert code == 0
    created = json.loads(out)
    assert created["roles"] == ["carrier"] and created["scopes"] == ["carrier:XYZ"]
    client = make_client(tmp_path)
    assert client.get("/v1/me", headers=H(created["key"])).json()["key_id"] == created["id"]

    code, out, _ = run_cli(["keys", "list"], capsys)
    assert code == 0 and created["id"] in out and created["key"] not in out

    code, out, _ = run_cli(["keys", "revoke", created["id"]], capsys)
    assert code == 0 and f"revoked {created['id']}" in out
    assert client.get("/v1/me", headers=H(created["key"])).status_code == 401  # TTL 0 here
    code, out, _ = run_cli(["keys", "list", "--all", "--json"], capsys)
    assert json.loads(out)[0]["revoked_at"] is not None


def test_cli_create_prints_the_secret_once_in_plain_text(tmp_path, monkeypatch, capsys):
    """Without --json the key is printed on its own line after a warning to store it."""
    monkeypatch.setenv("OPTIMIZER_STATE_DIR", str(tmp_path))
    code, out, _ = run_cli(["keys", "create", "--role", "planner", "--name", "ops"], capsys)
    assert code == 0
    secret_lines = [line.strip() for line in out.splitlines() if line.strip().startswith("opk_")]
    assert len(secret_lines) == 1
    assert "not shown again" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["keys", "create", "--role", "wcs"], "error: scopes: a wcs key needs a scope"),
        (["keys", "revoke", "nope"], "error: key_id: no key with id 'nope'"),
    ],
    ids=["unscoped-wcs", "unknown-id"],
)
def test_cli_errors_name_the_field_and_exit_2(tmp_path, monkeypatch, capsys, args, expected):
    """Bad CLI input prints `error: field: message` and exits 2, no traceback."""
    monkeypatch.setenv("OPTIMIZER_STATE_DIR", str(tmp_path))
    code, _, err = run_cli(args, capsys)
    assert code == 2
    assert expected in err and "Traceback" not in err


def test_cli_bad_setting_names_the_environment_variable(tmp_path, monkeypatch, capsys):
    """A bad OPTIMIZER_* value is reported with the variable's name, exit 2."""
    monkeypatch.setenv("OPTIMIZER_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("OPTIMIZER_MAX_BODY_BYTES", "tiny")
    code, _, err = run_cli(["keys", "list"], capsys)
    assert code == 2
    assert "error: OPTIMIZER_MAX_BODY_BYTES:" in err


def test_cli_unreachable_database_is_one_line(monkeypatch, capsys):
    """An unreachable DATABASE_URL is a one-line error without the password, exit 1."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:hunter2@127.0.0.1:1/x")
    code, _, err = run_cli(["keys", "list"], capsys)
    assert code == 1
    assert err.startswith("error: cannot use the database at postgresql+psycopg://u:***@")
    assert "hunter2" not in err and "Traceback" not in err


def test_development_key_is_kept_across_runs_and_reissued_when_revoked(make_client, tmp_path):
    """`make demo` then `make serve` print the same working key; a revoked one is replaced."""
    from api.security.keys import development_key, revoke_key

    client = make_client()
    database = client.app.state.services.database
    with database.transaction() as session:
        first = development_key(session, tmp_path)
    with database.transaction() as session:
        again = development_key(session, tmp_path)
    assert first.issued_now and not again.issued_now
    assert again.secret == first.secret and again.info.id == first.info.id
    assert (tmp_path / "dev-key").stat().st_mode & 0o077 == 0
    me = client.get("/v1/me", headers=H(first.secret)).json()
    assert sorted(me["roles"]) == ["admin", "planner", "wcs"]
    with database.transaction() as session:
        revoke_key(session, first.info.id)
    with database.transaction() as session:
        replaced = development_key(session, tmp_path)
    assert replaced.issued_now and replaced.secret != first.secret
