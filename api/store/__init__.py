"""Stored documents (versioned, one active) and append-only events, scoped by sorter/carrier."""

from api.store.documents import (
    StoredDocument,
    activate,
    get_active,
    get_document,
    list_documents,
    put_snapshot,
    save_version,
)
from api.store.events import (
    StoredEvent,
    append_event,
    events_after,
    last_event_id,
    list_events,
)

__all__ = [
    "StoredDocument",
    "StoredEvent",
    "activate",
    "append_event",
    "events_after",
    "get_active",
    "get_document",
    "last_event_id",
    "list_documents",
    "list_events",
    "put_snapshot",
    "save_version",
]
