"""The service: FastAPI app over the optimizer core.

The public surface for resource routers and the CLI, in one place. Names load
on first use, so a job worker process that imports `api.jobs.worker` does not
pay for the web app, the routers and OR-Tools.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "create_app": "api.app",
    "create_app_from_env": "api.app",
    "AdminKey": "api.deps",
    "CarrierKey": "api.deps",
    "CurrentKey": "api.deps",
    "JobsDep": "api.deps",
    "PageDep": "api.deps",
    "PlannerKey": "api.deps",
    "ServicesDep": "api.deps",
    "SessionDep": "api.deps",
    "SettingsDep": "api.deps",
    "SorterKey": "api.deps",
    "WriterDep": "api.deps",
    "require": "api.deps",
    "ApiError": "api.errors",
    "Conflict": "api.errors",
    "ErrorCode": "api.errors",
    "Forbidden": "api.errors",
    "NotFound": "api.errors",
    "TooLarge": "api.errors",
    "error_responses": "api.errors",
    "JobKind": "api.jobs",
    "JobRunner": "api.jobs",
    "JobStatus": "api.jobs",
    "JobView": "api.jobs",
    "register_job_kind": "api.jobs",
    "CappedTimeLimit": "api.limits",
    "MaxItems": "api.limits",
    "Principal": "api.security",
    "Role": "api.security",
    "Settings": "api.settings",
    "load_settings": "api.settings",
    "StoredDocument": "api.store",
    "StoredEvent": "api.store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # explicit re-exports for type checkers and IDEs
    from api.app import create_app as create_app
    from api.app import create_app_from_env as create_app_from_env
    from api.deps import AdminKey as AdminKey
    from api.deps import CarrierKey as CarrierKey
    from api.deps import CurrentKey as CurrentKey
    from api.deps import JobsDep as JobsDep
    from api.deps import PageDep as PageDep
    from api.deps import PlannerKey as PlannerKey
    from api.deps import ServicesDep as ServicesDep
    from api.deps import SessionDep as SessionDep
    from api.deps import SettingsDep as SettingsDep
    from api.deps import SorterKey as SorterKey
    from api.deps import WriterDep as WriterDep
    from api.deps import require as require
    from api.errors import ApiError as ApiError
    from api.errors import Conflict as Conflict
    from api.errors import ErrorCode as ErrorCode
    from api.errors import Forbidden as Forbidden
    from api.errors import NotFound as NotFound
    from api.errors import TooLarge as TooLarge
    from api.errors import error_responses as error_responses
    from api.jobs import JobKind as JobKind
    from api.jobs import JobRunner as JobRunner
    from api.jobs import JobStatus as JobStatus
    from api.jobs import JobView as JobView
    from api.jobs import register_job_kind as register_job_kind
    from api.limits import CappedTimeLimit as CappedTimeLimit
    from api.limits import MaxItems as MaxItems
    from api.security import Principal as Principal
    from api.security import Role as Role
    from api.settings import Settings as Settings
    from api.settings import load_settings as load_settings
    from api.store import StoredDocument as StoredDocument
    from api.store import StoredEvent as StoredEvent
