"""The service: FastAPI app over the optimizer core.

The public surface for the resource routers and the CLI is re-exported here.
"""

from api.app import create_app, create_app_from_env
from api.deps import (
    AdminKey,
    CarrierKey,
    CurrentKey,
    JobsDep,
    PageDep,
    PlannerKey,
    ServicesDep,
    SessionDep,
    SettingsDep,
    SorterKey,
    WriterDep,
    require,
)
from api.errors import ApiError, Conflict, ErrorCode, Forbidden, NotFound, TooLarge, error_responses
from api.jobs import JobKind, JobRunner, JobStatus, JobView, register_job_kind
from api.limits import CappedTimeLimit, MaxItems
from api.security import Principal, Role
from api.settings import Settings, load_settings
from api.store import StoredDocument, StoredEvent

__all__ = [
    "AdminKey",
    "ApiError",
    "CappedTimeLimit",
    "CarrierKey",
    "Conflict",
    "CurrentKey",
    "ErrorCode",
    "Forbidden",
    "JobKind",
    "JobRunner",
    "JobStatus",
    "JobView",
    "JobsDep",
    "MaxItems",
    "NotFound",
    "PageDep",
    "PlannerKey",
    "Principal",
    "Role",
    "ServicesDep",
    "SessionDep",
    "Settings",
    "SettingsDep",
    "SorterKey",
    "StoredDocument",
    "StoredEvent",
    "TooLarge",
    "WriterDep",
    "create_app",
    "create_app_from_env",
    "error_responses",
    "load_settings",
    "register_job_kind",
    "require",
]
