"""Request bodies decoded by hand (the hot path, uploads): every failure is a 400 naming
the body, never a 500. Deeply nested JSON makes the decoder recurse until Python's
limit; that is bad input like any other."""

from __future__ import annotations

import json
from typing import Any

from api.errors import ApiError


def json_problem(text: bytes | str) -> tuple[Any, str | None]:
    """The decoded value, or None and why it is not JSON."""
    try:
        return json.loads(text), None
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except json.JSONDecodeError as exc:
        return None, f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
    except RecursionError:
        return None, "nested too deeply"


def decode_json(body: bytes) -> Any:
    """The decoded body; 400 `Body is not valid JSON: ...` naming `body` otherwise."""
    value, problem = json_problem(body)
    if problem is not None:
        raise ApiError(400, f"Body is not valid JSON: {problem}", field="body")
    return value
