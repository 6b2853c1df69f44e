"""Request bodies decoded by hand (the hot path, uploads): every failure is a 400 naming
the body, never a 500. Deeply nested JSON makes the decoder recurse until Python's
limit, an integer of thousands of digits exceeds its conversion limit, and a `\\ud800`
escape decodes to half a character that no database or response can encode later:
each is bad input like any other."""

from __future__ import annotations

import json
import re
from typing import Any

from api.errors import ApiError

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # \ud800-\udfff: half of a pair, or a pair


def json_problem(text: bytes | str) -> tuple[Any, str | None]:
    """The decoded value, or None and why it is not JSON."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        value = json.loads(text)
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except json.JSONDecodeError as exc:
        return None, f"{exc.msg} at position {exc.pos}"
    except RecursionError:
        return None, "nested too deeply"
    except ValueError:  # an integer beyond Python's digit limit
        return None, "a number has too many digits"
    if _SURROGATE_ESCAPE.search(text) and not _well_formed(value):
        return None, "a \\u escape is half of a surrogate pair, not a character"
    return value, None


def _well_formed(value: Any) -> bool:
    """No lone surrogate in any string (pairs were joined into one character by the decoder)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decode_json(body: bytes) -> Any:
    """The decoded body; 400 `Body is not valid JSON: ...` naming `body` otherwise."""
    value, problem = json_problem(body)
    if problem is not None:
        raise ApiError(400, f"Body is not valid JSON: {problem}", field="body")
    return value
