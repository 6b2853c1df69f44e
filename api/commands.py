"""`optimizer serve`, `optimizer keys ...` and `optimizer db upgrade`.

Registered through the `optimizer.commands` entry point, so the core CLI never
imports the service. Printing belongs here, not in the library modules.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from api.db.engine import Database
from api.db.migrate import current_revision, upgrade
from api.demo.command import register_demo
from api.security.keys import (
    DEV_KEY_FILE,
    DevelopmentKey,
    IssuedKey,
    create_key,
    development_key,
    list_keys,
    revoke_key,
)
from api.settings import Settings, load_settings
from optimizer.errors import InputError, OptimizerError

Subparsers = argparse._SubParsersAction  # type: ignore[type-arg]


def register(commands: Subparsers, generators: Subparsers) -> None:
    """Add the service's subcommands to the `optimizer` parser."""
    register_demo(commands)
    serve = commands.add_parser(
        "serve",
        help="run the HTTP API (uvicorn)",
        description="Run the HTTP API. Settings come from OPTIMIZER_* variables and "
        "DATABASE_URL; in development a first key is printed when none exists.",
    )
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=_env_int("PORT", 8000))
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes; only 1: live sorter state (chutes, containers, "
        "active plan) is held per process",
    )
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="log every request (off by default: the WCS sends thousands a second)",
    )
    serve.set_defaults(func=_serve)

    keys = commands.add_parser(
        "keys", help="issue, list and revoke API keys", description="Manage API keys."
    )
    actions = keys.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        help="issue a key (printed once)",
        description="Issue a key; the secret is printed once and stored only as a hash.",
    )
    create.add_argument(
        "--role",
        action="append",
        required=True,
        choices=["wcs", "carrier", "planner", "admin"],
        help="repeat for several roles",
    )
    create.add_argument(
        "--scope",
        action="append",
        default=[],
        help="'*', 'sorter:ID' or 'carrier:ID'; repeat for several (planner/admin default '*')",
    )
    create.add_argument("--name", default="", help="who or what the key is for")
    create.add_argument("--json", action="store_true", help="print JSON")
    create.set_defaults(func=_keys_create)
    listing = actions.add_parser("list", help="list keys", description="List keys.")
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_keys_list)
    revoke = actions.add_parser("revoke", help="revoke a key", description="Revoke a key.")
    revoke.add_argument("key_id", help="the id shown by `keys create` or `keys list`")
    revoke.set_defaults(func=_keys_revoke)

    db = commands.add_parser(
        "db", help="service database", description="Service database maintenance."
    )
    db_actions = db.add_subparsers(dest="action", metavar="ACTION", required=True)
    migrate = db_actions.add_parser(
        "upgrade", help="apply schema migrations", description="Apply schema migrations."
    )
    migrate.set_defaults(func=_db_upgrade)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() else default


def _database(settings: Settings) -> Database:
    """The migrated database; an unreachable one is a one-line error, not a traceback."""
    database = Database(settings.resolved_database_url)
    try:
        upgrade(database.engine)
    except OperationalError as exc:
        database.dispose()
        where = make_url(database.url).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "unreachable"
        raise OptimizerError(f"cannot use the database at {where}: {reason}") from None
    return database


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    if not 0 < args.port < 65536:
        raise InputError(f"{args.port} is not a TCP port", field="port")
    if args.workers != 1:
        raise InputError(
            f"{args.workers} workers: sorter state (live chutes, containers, the active plan) "
            "is per process, so workers would split it; run one worker per server",
            field="--workers",
        )
    settings = load_settings()
    database = _database(settings)
    try:
        if settings.environment == "development":
            with database.transaction() as session:
                dev_key = development_key(session, settings.state_dir)
            print_development_key(dev_key, settings.state_dir)
        else:
            with database.session() as session:
                if not list_keys(session):
                    print("No API keys yet: create one with `optimizer keys create --role admin`")
    finally:
        database.dispose()
    print(f"Serving on http://{args.host}:{args.port} (docs at /docs)", flush=True)
    uvicorn.run(
        "api.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=args.access_log,
    )
    return 0


def _keys_create(args: argparse.Namespace) -> int:
    database = _database(load_settings())
    try:
        with database.transaction() as session:
            issued = create_key(session, args.role, args.scope, args.name)
    finally:
        database.dispose()
    if args.json:
        print(json.dumps({**_info_json(issued.info), "key": issued.secret}))
    else:
        _print_issued(issued, "API key")
    return 0


def _keys_list(args: argparse.Namespace) -> int:
    database = _database(load_settings())
    try:
        with database.session() as session:
            keys = list_keys(session, include_revoked=args.all)
    finally:
        database.dispose()
    if args.json:
        print(json.dumps([_info_json(k) for k in keys]))
        return 0
    print(f"{'ID':<14}{'ROLES':<22}{'SCOPES':<30}{'CREATED':<22}{'STATE':<9}NAME")
    for k in keys:
        state = "revoked" if k.revoked_at else "active"
        print(
            f"{k.id:<14}{','.join(k.roles):<22}{','.join(k.scopes):<30}"
            f"{k.created_at:%Y-%m-%d %H:%M:%S}Z   {state:<9}{k.name}"
        )
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    database = _database(load_settings())
    try:
        with database.transaction() as session:
            info = revoke_key(session, args.key_id)
    finally:
        database.dispose()
    if info is None:
        raise InputError(f"no key with id {args.key_id!r}", field="key_id")
    print(f"revoked {info.id} at {info.revoked_at:%Y-%m-%d %H:%M:%S}Z")
    return 0


def _db_upgrade(_: argparse.Namespace) -> int:
    settings = load_settings()
    database = _database(settings)
    try:
        print(f"database at revision {current_revision(database.engine)}")
    finally:
        database.dispose()
    return 0


def _info_json(info: object) -> dict[str, object]:
    from dataclasses import asdict

    data = asdict(info)  # type: ignore[call-overload]
    for field in ("created_at", "revoked_at"):
        if data[field] is not None:
            data[field] = data[field].isoformat()
    return data


def print_development_key(key: DevelopmentKey, state_dir: Path) -> None:
    """The same key on every start in development (kept in `state_dir/dev-key`)."""
    issued = "issued now" if key.issued_now else "kept"
    print(
        f"Development key {key.info.id} (roles {','.join(key.info.roles)}; {issued}, "
        f"in {state_dir / DEV_KEY_FILE}):"
    )
    print(f"  {key.secret}", flush=True)


def _print_issued(issued: IssuedKey, title: str) -> None:
    info = issued.info
    print(f"{title} {info.id} (roles {','.join(info.roles)}; scopes {','.join(info.scopes)}).")
    print("Store it now; it is not shown again:")
    print(f"  {issued.secret}")
    sys.stdout.flush()
