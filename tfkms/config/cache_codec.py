"""The parse cache's format: parsed files as JSON, which cannot execute anything when read.

A pickle runs code when it is loaded, so a cache entry another local user could swap in would
run as the victim. This codec writes plain JSON and reads it back into exactly the classes it
knows (the syntax tree's dataclasses, lark's Tree and Token); an unknown class or function name
is a damaged entry, never an import.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from lark import Token, Tree
from lark.tree import Meta

from tfkms.config.json_parser import JsonNode
from tfkms.config.syntax import Attribute, Block, Expr, ShallowHeader, SourceFile

# Part of the cache key: raise it when the syntax classes or this encoding change shape, so entries
# written by an older layout are never read (5: JSON instead of pickle; 6: shallow headers; 7: simple
# blocks read without Lark, their values detached).
CACHE_FORMAT = 7

_CLASSES: dict[str, type] = {cls.__name__: cls for cls in (SourceFile, Block, Attribute, Expr, JsonNode)}


def _functions() -> dict[str, Any]:
    from tfkms.config.hcl_parser import reparse_node

    return {"reparse_node": reparse_node}


class CodecError(ValueError):
    """An entry this codec did not write (or a damaged one): a cache miss."""


def encode(source: SourceFile) -> bytes:
    return json.dumps(_enc(source), separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def decode(payload: bytes) -> SourceFile:
    try:
        value = _dec(json.loads(payload.decode("utf-8")), _functions())
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise CodecError(str(exc)) from None
    if not isinstance(value, SourceFile):
        raise CodecError("not a parsed file")
    return value


_FIELDS: dict[type, tuple[str, ...]] = {cls: tuple(f.name for f in dataclasses.fields(cls))
                                        for cls in _CLASSES.values()}
_META_FIELDS = ("line", "column", "end_line", "end_column", "start_pos", "end_pos", "container_line",
                "container_column", "container_end_line", "container_end_column", "container_start_pos",
                "container_end_pos", "empty")
_MISSING = "\x00missing"


# Every non-scalar is a JSON array whose first element says what it is (compact and quick to read).
def _enc(value: Any) -> Any:
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return value
    if kind is Token:
        return ["k", value.type, str(value), value.start_pos, value.line, value.column, value.end_line,
                value.end_column, value.end_pos]
    if kind is Tree:
        meta = value.__dict__.get("_meta")
        return ["r", _enc(value.data), [_enc(c) for c in value.children],
                [getattr(meta, f, _MISSING) for f in _META_FIELDS] if meta is not None else None]
    if kind is list:
        return ["l", [_enc(v) for v in value]]
    if kind is tuple:
        return ["t", [_enc(v) for v in value]]
    if kind is set or kind is frozenset:
        return ["s", sorted(_enc(v) for v in value)] if all(type(v) is str for v in value) else \
            ["s", [_enc(v) for v in value]]
    if kind is dict:
        return ["d", [_enc(k) for k in value], [_enc(v) for v in value.values()]]
    if kind is float:
        return ["f", repr(value)]
    if isinstance(value, Path):
        return ["p", str(value)]
    fields = _FIELDS.get(kind)
    if fields is not None:
        return ["c", kind.__name__, [_enc_headers(value.shallow) if kind is SourceFile and name == "shallow"
                                     else _enc(getattr(value, name)) for name in fields]]
    if callable(value) and getattr(value, "__name__", None) in _functions():
        return ["n", value.__name__]
    raise CodecError(f"cannot store a {kind.__name__}")


def _enc_headers(headers: list[ShallowHeader]) -> list[Any]:
    """A big generated file has tens of thousands: plain arrays, read back without the tag walk."""
    return ["h", [[kind, list(labels), line] for kind, labels, line in headers]]


def _dec_headers(rows: list[Any]) -> list[ShallowHeader]:
    out: list[ShallowHeader] = []
    for kind, labels, line in rows:
        if type(kind) is not str or type(line) is not int or not all(type(label) is str for label in labels):
            raise CodecError("damaged header")
        out.append((kind, tuple(labels), line))
    return out


def _dec(value: Any, functions: dict[str, Any]) -> Any:
    if type(value) is not list:
        if value is None or isinstance(value, (bool, int, str)):
            return value
        raise CodecError("unexpected value")
    tag = value[0]
    if tag == "k":
        return Token(value[1], value[2], value[3], value[4], value[5], value[6], value[7], value[8])
    if tag == "r":
        tree = Tree(_dec(value[1], functions), [_dec(c, functions) for c in value[2]])
        if value[3] is not None:
            meta = Meta()
            for name, item in zip(_META_FIELDS, value[3], strict=True):
                if item != _MISSING:
                    setattr(meta, name, item)
            tree._meta = meta
        return tree
    if tag == "l":
        return [_dec(v, functions) for v in value[1]]
    if tag == "t":
        return tuple(_dec(v, functions) for v in value[1])
    if tag == "s":
        return {_dec(v, functions) for v in value[1]}
    if tag == "d":
        return {_dec(k, functions): _dec(v, functions) for k, v in zip(value[1], value[2], strict=True)}
    if tag == "c":
        cls = _CLASSES[value[1]]
        return cls(**{name: _dec(v, functions) for name, v in zip(_FIELDS[cls], value[2], strict=True)})
    if tag == "p":
        return Path(value[1])
    if tag == "f":
        return float(value[1])
    if tag == "n":
        return functions[value[1]]
    if tag == "h":
        return _dec_headers(value[1])
    raise CodecError(f"unknown tag {tag!r}")
