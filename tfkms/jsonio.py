"""One JSON decoder for every input file (state, plan, inventory): every way the stdlib can
fail on hostile input becomes a JsonError with a position, never a stray exception."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


class JsonError(Exception):
    def __init__(self, line: int | None, column: int | None, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


def decode_json(text: str, hook: Callable[[list[tuple[str, Any]]], Any] | None = None) -> Any:
    try:
        return json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        # exc.msg never quotes the document, so no value can leak through the message.
        raise JsonError(exc.lineno, exc.colno, f"not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise JsonError(None, None, "nested too deeply to read") from None
    except ValueError:  # e.g. Python's limit on the digits of an integer
        raise JsonError(None, None, "holds a number too large to read") from None
