"""An independent `terraform plan` simulator for alicloud KMS keys and secrets.

This file is a *test oracle*: it shares no code with `tfkms` on purpose. It answers one
question: after a refresh against the post-migration cloud, what would Terraform plan for
each KMS resource instance of a root module?

    simulate(root, state, provider_version) -> {address: action}

action is one of "no-op", "update", "replace", "delete", "create", "invalid" (the config
would be rejected by Terraform at this provider version: unknown argument, unknown name in
`ignore_changes`, duplicate lifecycle block, ...) and "unknown" (count/for_each could not be
evaluated by this simulator).

Model (reference/provider-kms.md, "Why a plan turns into destroy and recreate"): the
provider is built on terraform-plugin-sdk v1. Per attribute that exists at the provider
version, the config value (or the schema Default when the argument is omitted or null) is
compared with the refreshed state value:

* omitted + Computed             -> no diff
* omitted + not Computed         -> diff to empty when state holds a non-empty value
* set and different from state   -> diff
* a diff on a ForceNew attribute -> replace; any other diff -> update
* attributes named in `lifecycle { ignore_changes = [...] }` (or `all`) are skipped.

Config is read with python-hcl2's dict API (v8 keeps the HCL source of every expression:
quoted strings stay quoted, other expressions come back as "${...}"), `.tf.json` with json.
Expressions are parsed and evaluated here: literals, templates, heredocs, tuples, objects,
var/local/each/count/module/path references, indexing, conditionals, arithmetic, for
expressions and a set of pure functions. What cannot be evaluated is "unknown": it never
produces a diff, but it is recorded (`Plan.unknowns`). References to resources are resolved
from state; a referenced KMS instance that is itself replaced or created yields a value
Terraform only knows after apply, which for a ForceNew attribute means replace (cascade).

Run it by hand: python tests/plansim.py ROOT --state FILE [--provider-version V] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import hcl2

# ----------------------------------------------------------------------------- versions


def parse_version(text: str) -> tuple[int, ...]:
    text = text.strip().lstrip("v")
    parts = re.match(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?", text)
    if not parts:
        raise ValueError(f"not a version: {text!r}")
    return tuple(int(p) if p else 0 for p in parts.groups())


def _ge(version: tuple[int, ...], since: str) -> bool:
    return version >= parse_version(since)


# ----------------------------------------------------------------------------- schema
# Snapshot of ../shared/reference/provider-kms-schema.json (HEAD flags) for the resources this
# simulator plans: name -> (type, flags R/O/C/F/S, default, since). tests/test_plansim.py checks
# that the snapshot still matches the JSON when ../shared is present.

SCHEMA: dict[str, dict[str, tuple[str, str, Any, str]]] = {
    "alicloud_kms_key": {
        "automatic_rotation": ("string", "OC", None, "1.85.0"),
        "deletion_protection": ("string", "OC", None, "1.240.0"),
        "deletion_protection_description": ("string", "O", None, "1.240.0"),
        "description": ("string", "O", None, "1.7.0"),
        "dkms_instance_id": ("string", "OCF", None, "1.183.0"),
        "key_spec": ("string", "OCF", None, "1.85.0"),
        "key_usage": ("string", "OCF", None, "1.7.0"),
        "origin": ("string", "OCF", None, "1.85.0"),
        "pending_window_in_days": ("int", "O", None, "1.85.0"),
        "policy": ("string", "OC", None, "1.224.0"),
        "protection_level": ("string", "OF", "SOFTWARE", "1.85.0"),
        "rotation_interval": ("string", "O", None, "1.85.0"),
        "status": ("string", "OC", None, "1.123.1"),
        "tags": ("map(string)", "O", None, "1.207.0"),
        "arn": ("string", "C", None, "1.7.0"),
        "primary_key_version": ("string", "C", None, "1.85.0"),
        "last_rotation_date": ("string", "C", None, "1.85.0"),
        "next_rotation_date": ("string", "C", None, "1.85.0"),
        "material_expire_time": ("string", "C", None, "1.85.0"),
        "creator": ("string", "C", None, "1.85.0"),
        "creation_date": ("string", "C", None, "1.85.0"),
        "delete_date": ("string", "C", None, "1.85.0"),
        "deletion_window_in_days": ("int", "O", None, "1.7.0"),
        "key_state": ("string", "OC", None, "1.85.0"),
        "is_enabled": ("bool", "OC", None, "1.7.0"),
    },
    "alicloud_kms_secret": {
        "secret_name": ("string", "RF", None, "1.76.0"),
        "secret_data": ("string", "RS", None, "1.76.0"),
        "version_id": ("string", "R", None, "1.76.0"),
        "secret_type": ("string", "OCF", None, "1.204.1"),
        "secret_data_type": ("string", "O", "text", "1.76.0"),
        "encryption_key_id": ("string", "OF", None, "1.76.0"),
        "dkms_instance_id": ("string", "OF", None, "1.183.0"),
        "extended_config": ("string", "OF", None, "1.204.1"),
        "enable_automatic_rotation": ("bool", "O", None, "1.124.0"),
        "rotation_interval": ("string", "O", None, "1.124.0"),
        "policy": ("string", "OC", None, "1.224.0"),
        "description": ("string", "O", None, "1.76.0"),
        "force_delete_without_recovery": ("bool", "O", False, "1.76.0"),
        "recovery_window_in_days": ("int", "O", 30, "1.76.0"),
        "version_stages": ("set(string)", "OC", None, "1.76.0"),
        "tags": ("map(string)", "O", None, "1.76.0"),
        "arn": ("string", "C", None, "1.76.0"),
        "create_time": ("string", "C", None, "1.224.0"),
        "planned_delete_time": ("string", "C", None, "1.76.0"),
    },
    "alicloud_kms_alias": {
        "alias_name": ("string", "RF", None, "1.77.0"),
        "key_id": ("string", "R", None, "1.77.0"),
    },
    "alicloud_kms_key_version": {
        "key_id": ("string", "RF", None, "1.85.0"),
        "key_version_id": ("string", "C", None, "1.85.0"),
        "creation_date": ("string", "C", None, "1.85.0"),
    },
}

RESOURCE_SINCE = {
    "alicloud_kms_key": "1.7.0",
    "alicloud_kms_secret": "1.76.0",
    "alicloud_kms_alias": "1.77.0",
    "alicloud_kms_key_version": "1.85.0",
}
TIMEOUTS_SINCE = {"alicloud_kms_key": "1.224.0", "alicloud_kms_secret": "1.103.2"}
REMOVED_IN = {("alicloud_kms_key_version", "creation_date"): "1.124.4"}

_UNSET = object()
# Version history of flags, from the "changes" entries of the schema JSON:
# (type, attr) -> [(from_version, {"computed"|"force_new"|"default": value}), ...] applied in order.
HISTORY: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {
    ("alicloud_kms_key", "automatic_rotation"): [
        ("1.85.0", {"computed": False, "default": "Disabled"}),
        ("1.207.0", {"computed": True, "default": None}),
    ],
    ("alicloud_kms_key", "description"): [
        ("1.7.0", {"force_new": False, "default": None}),
        ("1.27.0", {"default": "From Terraform"}),
        ("1.52.0", {"force_new": True}),
        ("1.85.0", {"force_new": False, "default": None}),
    ],
    ("alicloud_kms_key", "dkms_instance_id"): [
        ("1.183.0", {"computed": False}),
        ("1.235.0", {"computed": True}),
    ],
    ("alicloud_kms_key", "key_spec"): [("1.85.0", {"computed": False}), ("1.90.0", {"computed": True})],
    ("alicloud_kms_key", "key_usage"): [
        ("1.7.0", {"computed": False, "default": "ENCRYPT/DECRYPT"}),
        ("1.207.0", {"computed": True, "default": None}),
    ],
    ("alicloud_kms_key", "origin"): [
        ("1.85.0", {"computed": False, "default": "Aliyun_KMS"}),
        ("1.183.0", {"computed": True, "default": None}),
    ],
    ("alicloud_kms_key", "pending_window_in_days"): [
        ("1.85.0", {"computed": False, "default": 30}),
        ("1.123.1", {"computed": True, "default": None}),
        ("1.224.0", {"computed": False}),
    ],
    ("alicloud_kms_key", "deletion_window_in_days"): [
        ("1.7.0", {"computed": False, "default": None}),
        ("1.27.0", {"default": 30}),
        ("1.85.0", {"default": None}),
        ("1.123.1", {"computed": True}),
        ("1.224.0", {"computed": False}),
    ],
    ("alicloud_kms_key", "key_state"): [
        ("1.85.0", {"computed": False, "default": "Enabled"}),
        ("1.123.1", {"computed": True, "default": None}),
    ],
    ("alicloud_kms_key", "is_enabled"): [
        ("1.7.0", {"computed": False, "default": None}),
        ("1.27.0", {"default": True}),
        ("1.85.0", {"default": None}),
        ("1.224.0", {"computed": True}),
    ],
}
CONFLICTS = {
    "alicloud_kms_key": [("status", "key_state"), ("pending_window_in_days", "deletion_window_in_days")],
}
META_ARGS = {"count", "for_each", "provider", "depends_on"}
META_BLOCKS = {"lifecycle", "provisioner", "connection", "dynamic"}


@dataclass(frozen=True)
class Attr:
    name: str
    type: str
    required: bool
    optional: bool
    computed: bool
    force_new: bool
    sensitive: bool
    default: Any


def attribute(rtype: str, name: str, version: tuple[int, ...]) -> Attr | None:
    """The schema of one attribute at a provider version, or None if it does not exist."""
    spec = SCHEMA.get(rtype, {}).get(name)
    if spec is None:
        return None
    typ, flags, default, since = spec
    if not _ge(version, since):
        return None
    removed = REMOVED_IN.get((rtype, name))
    if removed and _ge(version, removed):
        return None
    state = {"computed": "C" in flags, "force_new": "F" in flags, "default": default}
    for since_v, change in HISTORY.get((rtype, name), []):
        if _ge(version, since_v):
            state.update(change)
    return Attr(name, typ, "R" in flags, "O" in flags, state["computed"], state["force_new"],
                "S" in flags, state["default"])


def attributes(rtype: str, version: tuple[int, ...]) -> dict[str, Attr]:
    out = {}
    for name in SCHEMA.get(rtype, {}):
        a = attribute(rtype, name, version)
        if a is not None:
            out[name] = a
    return out


# ----------------------------------------------------------------------------- values


class Unknown:
    """A value the simulator cannot know. kind "sim": we could not evaluate it (no diff);
    kind "apply": Terraform itself only knows it after apply (a diff)."""

    __slots__ = ("kind", "why")

    def __init__(self, kind: str, why: str):
        self.kind, self.why = kind, why

    def __repr__(self) -> str:
        return f"<unknown:{self.kind} {self.why}>"


class EvalError(Exception):
    """Terraform would reject this expression (bad index, null in a template, ...)."""


class Unsupported(Exception):
    """The simulator does not implement this syntax/function."""


class HSet(list):
    """A set value (toset): a list with unique members in a stable order."""


def _unknown_in(*values: Any) -> Unknown | None:
    found = None
    for v in values:
        if isinstance(v, Unknown):
            if v.kind == "sim":
                return v
            found = found or v
    return found


def _deep_unknown(v: Any) -> Unknown | None:
    if isinstance(v, Unknown):
        return v
    if isinstance(v, dict):
        return _unknown_in(*[_deep_unknown(x) for x in v.values()])
    if isinstance(v, list):
        return _unknown_in(*[_deep_unknown(x) for x in v])
    return None


def _to_str(v: Any) -> str:
    if v is None:
        raise EvalError("null value in a string template")
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return _num_str(v)
    if isinstance(v, str):
        return v
    raise EvalError(f"cannot convert {type(v).__name__} to string")


def _num_str(n: float) -> str:
    if isinstance(n, float) and n.is_integer():
        n = int(n)
    return str(n)


def _to_num(v: Any) -> float:
    if isinstance(v, bool):
        raise EvalError("bool is not a number")
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            raise EvalError(f"{v!r} is not a number") from None
        return int(f) if f.is_integer() else f
    raise EvalError("not a number")


def _to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if v in ("true", "false"):
        return v == "true"
    raise EvalError(f"{v!r} is not a bool")


# ----------------------------------------------------------------------------- expression parser

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


class Parser:
    """Recursive-descent parser for HCL native expressions and templates."""

    def __init__(self, src: str):
        self.s = src
        self.i = 0

    # -- helpers
    def ws(self) -> None:
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in " \t\r\n":
                self.i += 1
            elif c == "#" or s.startswith("//", self.i):
                while self.i < len(s) and s[self.i] != "\n":
                    self.i += 1
            elif s.startswith("/*", self.i):
                end = s.find("*/", self.i + 2)
                self.i = len(s) if end < 0 else end + 2
            else:
                break

    def peek(self, tok: str) -> bool:
        self.ws()
        return self.s.startswith(tok, self.i)

    def eat(self, tok: str) -> bool:
        if self.peek(tok):
            self.i += len(tok)
            return True
        return False

    def expect(self, tok: str) -> None:
        if not self.eat(tok):
            raise Unsupported(f"expected {tok!r} at {self.i} in {self.s!r}")

    def ident(self) -> str | None:
        self.ws()
        m = _IDENT.match(self.s, self.i)
        if not m:
            return None
        self.i = m.end()
        return m.group(0)

    def peek_keyword(self, word: str) -> bool:
        self.ws()
        m = _IDENT.match(self.s, self.i)
        return bool(m and m.group(0) == word)

    # -- entry points
    def parse_all(self) -> tuple:
        node = self.expr()
        self.ws()
        if self.i != len(self.s):
            raise Unsupported(f"trailing text {self.s[self.i:self.i + 20]!r}")
        return node

    def expr(self) -> tuple:
        cond = self.binary(0)
        if self.peek("?"):
            self.i += 1
            a = self.expr()
            self.expect(":")
            b = self.expr()
            return ("cond", cond, a, b)
        return cond

    _LEVELS = [("||",), ("&&",), ("==", "!="), ("<=", ">=", "<", ">"), ("+", "-"), ("*", "/", "%")]

    def binary(self, level: int) -> tuple:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while True:
            self.ws()
            op = next((o for o in self._LEVELS[level] if self.s.startswith(o, self.i)), None)
            if op is None or self.s.startswith("=>", self.i):
                return left
            if op in ("<", ">") and self.s.startswith(op + "=", self.i):
                op += "="
            self.i += len(op)
            right = self.binary(level + 1)
            left = ("binop", op, left, right)

    def unary(self) -> tuple:
        if self.peek("!") and not self.peek("!="):
            self.i += 1
            return ("unop", "!", self.unary())
        if self.peek("-"):
            self.i += 1
            return ("unop", "-", self.unary())
        return self.postfix(self.primary())

    def postfix(self, node: tuple) -> tuple:
        while True:
            if self.peek("[*]") or self.peek(".*"):
                self.i += 3 if self.s.startswith("[*]", self.i) else 2
                ops = []
                while True:  # a splat swallows the following traversal
                    if self.peek(".") and not self.peek(".."):
                        self.i += 1
                        ops.append(("getattr", self.ident() or "?"))
                    elif self.peek("["):
                        self.i += 1
                        ops.append(("index", self.expr()))
                        self.expect("]")
                    else:
                        break
                node = ("splat", node, ops)
            elif self.peek(".") and not self.peek("..."):
                self.i += 1
                self.ws()
                m = _NUMBER.match(self.s, self.i)
                if m and m.group(0).isdigit():
                    self.i = m.end()
                    node = ("index", node, ("lit", int(m.group(0))))
                else:
                    name = self.ident()
                    if name is None:
                        raise Unsupported("bad attribute access")
                    node = ("getattr", node, name)
            elif self.peek("["):
                self.i += 1
                key = self.expr()
                self.expect("]")
                node = ("index", node, key)
            else:
                return node

    def primary(self) -> tuple:
        self.ws()
        s, i = self.s, self.i
        if i >= len(s):
            raise Unsupported("unexpected end of expression")
        c = s[i]
        if c == '"':
            return self.quoted()
        if s.startswith("<<", i):
            return self.heredoc()
        if c == "(":
            self.i += 1
            inner = self.expr()
            self.expect(")")
            return ("paren", inner)
        if c == "[":
            self.i += 1
            if self.peek_keyword("for"):
                return self.for_expr("]")
            items = []
            while not self.eat("]"):
                items.append(self.expr())
                if not self.eat(","):
                    self.expect("]")
                    break
            return ("tuple", items)
        if c == "{":
            self.i += 1
            if self.peek_keyword("for"):
                return self.for_expr("}")
            items = []
            while not self.eat("}"):
                items.append(self.object_item())
                self.eat(",")
            return ("object", items)
        m = _NUMBER.match(s, i)
        if m:
            self.i = m.end()
            txt = m.group(0)
            return ("lit", int(txt) if txt.isdigit() else float(txt))
        name = self.ident()
        if name is None:
            raise Unsupported(f"unexpected {s[i:i + 10]!r}")
        if name in ("true", "false"):
            return ("lit", name == "true")
        if name == "null":
            return ("lit", None)
        if self.peek("(") or self.peek("::"):
            if self.peek("::"):
                raise Unsupported("provider-defined function")
            self.i += 1
            args, expand = [], False
            while not self.eat(")"):
                args.append(self.expr())
                if self.eat("..."):
                    expand = True
                if not self.eat(","):
                    self.expect(")")
                    break
            return ("call", name, args, expand)
        return ("ref", name)

    def object_item(self) -> tuple:
        self.ws()
        m = _IDENT.match(self.s, self.i)
        if m:
            save = self.i
            self.i = m.end()
            if self.peek("=") and not self.peek("==") or self.peek(":"):
                key: tuple = ("lit", m.group(0))
            else:
                self.i = save
                key = self.expr()
        else:
            key = self.expr()
        if not (self.eat("=") or self.eat(":")):
            raise Unsupported("expected = in object")
        return (key, self.expr())

    def for_expr(self, close: str) -> tuple:
        self.ident()  # "for"
        a = self.ident()
        b = self.ident() if self.eat(",") else None
        if self.ident() != "in":
            raise Unsupported("bad for expression")
        coll = self.expr()
        self.expect(":")
        kvars = (a, b) if b else (None, a)
        if close == "]":
            value = self.expr()
            cond = self.expr() if self.peek_keyword("if") and self.ident() else None
            self.expect("]")
            return ("for_tuple", kvars, coll, value, cond)
        key = self.expr()
        self.expect("=>")
        value = self.expr()
        group = self.eat("...")
        cond = self.expr() if self.peek_keyword("if") and self.ident() else None
        self.expect("}")
        return ("for_object", kvars, coll, key, value, group, cond)

    # -- templates
    def quoted(self) -> tuple:
        self.i += 1  # opening quote
        parts: list = []
        buf = []
        s = self.s
        while True:
            if self.i >= len(s):
                raise Unsupported("unterminated string")
            c = s[self.i]
            if c == '"':
                self.i += 1
                break
            if c == "\\":
                nxt = s[self.i + 1]
                simple = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
                if nxt in simple:
                    buf.append(simple[nxt])
                    self.i += 2
                elif nxt in "uU":
                    width = 4 if nxt == "u" else 8
                    buf.append(chr(int(s[self.i + 2:self.i + 2 + width], 16)))
                    self.i += 2 + width
                else:
                    raise Unsupported("bad escape")
                continue
            if s.startswith("$${", self.i) or s.startswith("%%{", self.i):
                buf.append(s[self.i + 1:self.i + 3])
                self.i += 3
                continue
            if s.startswith("${", self.i):
                if buf:
                    parts.append("".join(buf))
                    buf = []
                parts.append(self.interpolation())
                continue
            if s.startswith("%{", self.i):
                raise Unsupported("template directive")
            buf.append(c)
            self.i += 1
        if buf or not parts:
            parts.append("".join(buf))
        return ("tmpl", parts)

    def interpolation(self) -> tuple:
        self.i += 2
        self.eat("~")
        node = self.expr()
        self.eat("~")
        self.expect("}")
        return node

    def heredoc(self) -> tuple:
        m = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)\r?\n").match(self.s, self.i)
        if not m:
            raise Unsupported("bad heredoc")
        strip, marker = m.group(1) == "-", m.group(2)
        lines = []
        pos = m.end()
        while True:
            nl = self.s.find("\n", pos)
            line = self.s[pos:] if nl < 0 else self.s[pos:nl + 1]
            if line.strip() == marker:
                self.i = pos + len(line.rstrip("\r\n"))
                break
            if nl < 0:
                raise Unsupported("unterminated heredoc")
            lines.append(line)
            pos = nl + 1
        if strip:
            indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
            cut = min(indents) if indents else 0
            lines = [ln[cut:] if ln.strip() else ln.lstrip(" \t") for ln in lines]
        return template_body("".join(lines))


def template_body(text: str) -> tuple:
    """A template without surrounding quotes (heredoc body, JSON string): no escapes."""
    parts: list = []
    buf = []
    p = Parser(text)
    while p.i < len(text):
        if text.startswith("$${", p.i) or text.startswith("%%{", p.i):
            buf.append(text[p.i + 1:p.i + 3])
            p.i += 3
        elif text.startswith("${", p.i):
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(p.interpolation())
        elif text.startswith("%{", p.i):
            raise Unsupported("template directive")
        else:
            buf.append(text[p.i])
            p.i += 1
    if buf or not parts:
        parts.append("".join(buf))
    return ("tmpl", parts)


def parse_expression(src: str) -> tuple:
    return Parser(src).parse_all()


# ----------------------------------------------------------------------------- config model


@dataclass
class Body:
    attrs: dict[str, tuple]                      # name -> expression AST
    blocks: dict[str, list["Body"]]              # nested blocks
    raw: dict[str, Any] = field(default_factory=dict)  # raw python-hcl2 / json values


@dataclass
class ResourceCfg:
    mode: str
    type: str
    name: str
    body: Body
    file: Path


@dataclass
class CallCfg:
    name: str
    source: str
    version: str | None
    body: Body
    file: Path


@dataclass
class ModuleCfg:
    dir: Path
    variables: dict[str, Body] = field(default_factory=dict)
    locals: dict[str, tuple] = field(default_factory=dict)
    outputs: dict[str, Body] = field(default_factory=dict)
    resources: dict[tuple[str, str, str], ResourceCfg] = field(default_factory=dict)
    calls: dict[str, CallCfg] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _unquote(label: str) -> str:
    if len(label) >= 2 and label[0] == '"' and label[-1] == '"':
        return label[1:-1]
    return label


def _hcl2_expr(v: Any) -> tuple:
    """python-hcl2 v8 value -> expression AST."""
    if v is None or isinstance(v, (bool, int, float)):
        return ("lit", v)
    if isinstance(v, list):
        return ("tuple", [_hcl2_expr(x) for x in v])
    if isinstance(v, dict):
        items = []
        for k, x in v.items():
            if k.startswith("__") and k.endswith("__"):
                continue
            if k.startswith("${") and k.endswith("}"):
                key = parse_expression(k[2:-1])
            else:
                key = ("lit", _unquote(k))
            items.append((key, _hcl2_expr(x)))
        return ("object", items)
    if isinstance(v, str):
        if v.startswith('"<<') and v.endswith('"'):
            return parse_expression(v[1:-1])
        if v.startswith('"'):
            return parse_expression(v)
        if v.startswith("${") and v.endswith("}"):
            return parse_expression(v[2:-1])
        return ("raw", v)  # bare words (ignore_changes entries, `all`)
    raise Unsupported(f"value {v!r}")


def _safe(conv, v: Any) -> tuple:
    try:
        return conv(v)
    except Unsupported as exc:
        return ("unsupported", str(exc))


def _hcl2_body(d: dict) -> Body:
    attrs, blocks = {}, {}
    for k, v in d.items():
        if k.startswith("__") and k.endswith("__"):
            continue
        if isinstance(v, list) and v and all(isinstance(x, dict) and x.get("__is_block__") for x in v):
            blocks.setdefault(k, []).extend(_hcl2_body(x) for x in v)
        else:
            attrs[k] = _safe(_hcl2_expr, v)
    return Body(attrs, blocks, d)


def _json_expr(v: Any) -> tuple:
    if v is None or isinstance(v, (bool, int, float)):
        return ("lit", v)
    if isinstance(v, list):
        return ("tuple", [_json_expr(x) for x in v])
    if isinstance(v, dict):
        return ("object", [(("lit", k), _json_expr(x)) for k, x in v.items() if k != "//"])
    if isinstance(v, str):
        return template_body(v)
    raise Unsupported(f"json value {v!r}")


_JSON_BLOCKS = {"lifecycle", "timeouts", "provisioner", "connection", "dynamic"}


def _json_body(d: dict) -> Body:
    attrs, blocks = {}, {}
    for k, v in d.items():
        if k == "//":
            continue
        if k in _JSON_BLOCKS:
            for item in v if isinstance(v, list) else [v]:
                if k == "lifecycle":
                    body = Body({}, {}, item)
                    for lk, lv in item.items():
                        if lk == "ignore_changes":
                            raw = lv if isinstance(lv, str) else list(lv)
                            body.attrs[lk] = ("raw", raw) if isinstance(lv, str) else (
                                "tuple", [("raw", x) for x in raw])
                        elif lk != "//":
                            body.attrs[lk] = _safe(_json_expr, lv)
                    blocks.setdefault(k, []).append(body)
                else:
                    blocks.setdefault(k, []).append(_json_body(item))
        elif k in ("depends_on", "providers", "provider"):
            attrs[k] = ("raw", v)
        else:
            attrs[k] = _safe(_json_expr, v)
    return Body(attrs, blocks, d)


def _iter_json_labelled(v: Any, depth: int) -> Iterable[tuple[list[str], dict]]:
    """JSON blocks: {"a": {"b": {...}}} or lists of such objects at any level."""
    if isinstance(v, list):
        for item in v:
            yield from _iter_json_labelled(item, depth)
        return
    if depth == 0:
        yield [], v
        return
    for label, inner in v.items():
        if label == "//":
            continue
        for labels, body in _iter_json_labelled(inner, depth - 1):
            yield [label] + labels, body


def load_module(directory: Path) -> ModuleCfg:
    cfg = ModuleCfg(directory)
    files = sorted(p for p in directory.iterdir() if p.is_file() and (p.name.endswith(".tf") or p.name.endswith(".tf.json")))
    for path in files:
        if path.name.endswith(".tf.json"):
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                cfg.errors.append(f"{path.name}: {exc}")
                continue
            _add_json(cfg, doc, path)
        else:
            try:
                with path.open(encoding="utf-8", newline="") as fh:
                    doc = hcl2.load(fh)
            except Exception as exc:  # python-hcl2 raises lark errors
                cfg.errors.append(f"{path.name}: {exc}")
                continue
            _add_hcl2(cfg, doc, path)
    return cfg


def _add_hcl2(cfg: ModuleCfg, doc: dict, path: Path) -> None:
    for block in doc.get("variable", []):
        for name, body in block.items():
            if not name.startswith("__"):
                cfg.variables[_unquote(name)] = _hcl2_body(body)
    for block in doc.get("locals", []):
        for name, v in block.items():
            if not (name.startswith("__") and name.endswith("__")):
                cfg.locals[name] = _safe(_hcl2_expr, v)
    for block in doc.get("output", []):
        for name, body in block.items():
            if not name.startswith("__"):
                cfg.outputs[_unquote(name)] = _hcl2_body(body)
    for mode, key in (("managed", "resource"), ("data", "data")):
        for block in doc.get(key, []):
            for rtype, named in block.items():
                if rtype.startswith("__"):
                    continue
                for rname, body in named.items():
                    if rname.startswith("__"):
                        continue
                    _add_resource(cfg, ResourceCfg(mode, _unquote(rtype), _unquote(rname), _hcl2_body(body), path))
    for block in doc.get("module", []):
        for name, body in block.items():
            if name.startswith("__"):
                continue
            b = _hcl2_body(body)
            source = _literal_string(b.attrs.get("source"))
            version = _literal_string(b.attrs.get("version"))
            cfg.calls[_unquote(name)] = CallCfg(_unquote(name), source or "", version, b, path)


def _add_json(cfg: ModuleCfg, doc: dict, path: Path) -> None:
    for labels, body in _iter_json_labelled(doc.get("variable", {}), 1):
        b = Body({}, {}, body)
        if "default" in body:
            b.attrs["default"] = _safe(_json_literal, body["default"])
        for k in ("type", "nullable"):
            if k in body:
                b.attrs[k] = ("raw", body[k])
        cfg.variables[labels[0]] = b
    for _, body in _iter_json_labelled(doc.get("locals", {}), 0):
        for k, v in body.items():
            if k != "//":
                cfg.locals[k] = _safe(_json_expr, v)
    for labels, body in _iter_json_labelled(doc.get("output", {}), 1):
        cfg.outputs[labels[0]] = _json_body(body)
    for mode, key in (("managed", "resource"), ("data", "data")):
        for labels, body in _iter_json_labelled(doc.get(key, {}), 2):
            _add_resource(cfg, ResourceCfg(mode, labels[0], labels[1], _json_body(body), path))
    for labels, body in _iter_json_labelled(doc.get("module", {}), 1):
        b = _json_body(body)
        cfg.calls[labels[0]] = CallCfg(labels[0], body.get("source", ""), body.get("version"), b, path)


def _json_literal(v: Any) -> tuple:
    if isinstance(v, list):
        return ("tuple", [_json_literal(x) for x in v])
    if isinstance(v, dict):
        return ("object", [(("lit", k), _json_literal(x)) for k, x in v.items()])
    return ("lit", v)


def _add_resource(cfg: ModuleCfg, res: ResourceCfg) -> None:
    key = (res.mode, res.type, res.name)
    if key in cfg.resources:
        cfg.errors.append(f"{res.file.name}: duplicate resource {res.type}.{res.name}")
        return
    cfg.resources[key] = res


def _literal_string(node: tuple | None) -> str | None:
    if node and node[0] == "tmpl" and all(isinstance(p, str) for p in node[1]):
        return "".join(node[1])
    return None


def load_tfvars(root: Path) -> dict[str, Any]:
    """terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars(.json) in lexical order."""
    files = []
    for name in ("terraform.tfvars", "terraform.tfvars.json"):
        if (root / name).is_file():
            files.append(root / name)
    files += sorted(p for p in root.iterdir()
                    if p.is_file() and (p.name.endswith(".auto.tfvars") or p.name.endswith(".auto.tfvars.json")))
    values: dict[str, Any] = {}
    for path in files:
        if path.name.endswith(".json"):
            for k, v in json.loads(path.read_text(encoding="utf-8")).items():
                values[k] = v
        else:
            with path.open(encoding="utf-8", newline="") as fh:
                doc = hcl2.load(fh)
            for k, v in doc.items():
                if k.startswith("__") and k.endswith("__"):
                    continue
                values[k] = Evaluator.literal(_hcl2_expr(v))
    return values


# ----------------------------------------------------------------------------- evaluation


class Lazy:
    """A value whose parts are computed on demand (resources, module outputs, namespaces)."""

    def attr(self, name: str) -> Any:
        raise EvalError(f"unsupported attribute {name!r}")

    def index(self, key: Any) -> Any:
        raise EvalError("value cannot be indexed")

    def value(self) -> Any:
        raise EvalError("namespace used as a value")


@dataclass
class Scope:
    mod: "ModInst"
    each: tuple[Any, Any] | None = None
    count: int | None = None
    fvars: dict[str, Any] = field(default_factory=dict)

    def with_vars(self, **kw: Any) -> "Scope":
        return Scope(self.mod, self.each, self.count, {**self.fvars, **kw})


def _materialize(v: Any) -> Any:
    if isinstance(v, Lazy):
        return _materialize(v.value())
    if isinstance(v, HSet):
        return HSet(_materialize(x) for x in v)
    if isinstance(v, list):
        return [_materialize(x) for x in v]
    if isinstance(v, dict):
        return {k: _materialize(x) for k, x in v.items()}
    return v


def _index(coll: Any, key: Any) -> Any:
    unk = _unknown_in(coll, key)
    if unk:
        return unk
    if isinstance(coll, Lazy):
        return coll.index(key)
    if isinstance(coll, HSet):
        raise EvalError("sets cannot be indexed")
    if isinstance(coll, list):
        i = _to_num(key)
        if not isinstance(i, int) or not 0 <= i < len(coll):
            raise EvalError(f"index {key!r} out of range")
        return coll[i]
    if isinstance(coll, dict):
        k = _to_str(key)
        if k not in coll:
            raise EvalError(f"no element {k!r} in map")
        return coll[k]
    if coll is None:
        raise EvalError("cannot index a null value")
    raise EvalError(f"cannot index a {type(coll).__name__}")


def _getattr(obj: Any, name: str) -> Any:
    if isinstance(obj, Unknown):
        return obj
    if isinstance(obj, Lazy):
        return obj.attr(name)
    if isinstance(obj, dict):
        if name not in obj:
            raise EvalError(f"object has no attribute {name!r}")
        return obj[name]
    if obj is None:
        raise EvalError(f"attempt to get attribute {name!r} from null")
    raise EvalError(f"cannot get attribute {name!r} from {type(obj).__name__}")


def _equal(a: Any, b: Any) -> bool:
    a, b = _materialize(a), _materialize(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return a == b
    if type(a) is not type(b) and not (isinstance(a, list) and isinstance(b, list)):
        return False
    if isinstance(a, HSet) or isinstance(b, HSet):
        return sorted(map(json.dumps, a)) == sorted(map(json.dumps, b))
    return a == b


def _items(coll: Any) -> list[tuple[Any, Any]]:
    coll = _materialize(coll)
    if isinstance(coll, HSet):
        return [(x, x) for x in coll]
    if isinstance(coll, list):
        return list(enumerate(coll))
    if isinstance(coll, dict):
        return sorted(coll.items())
    raise EvalError("cannot iterate over this value")


def _jsonencode(v: Any) -> str:
    return json.dumps(_materialize(v), separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _fmt(spec: str, *args: Any) -> str:
    args_iter = iter(args)

    def repl(m: re.Match) -> str:
        verb = m.group(2)
        if verb == "%":
            return "%"
        val = next(args_iter)
        flags = m.group(1)
        if verb == "q":
            return json.dumps(_to_str(val))
        if verb == "d":
            return ("%" + flags + "d") % int(_to_num(val))
        if verb == "f":
            return ("%" + flags + "f") % float(_to_num(val))
        if verb == "v" and not isinstance(val, (str, int, float, bool)):
            return _jsonencode(val)
        return ("%" + flags + "s") % _to_str(val)

    return re.sub(r"%([-+# 0-9.]*)([sdvqf%])", repl, spec)


def _toset(v: Any) -> HSet:
    items = _materialize(v)
    if isinstance(items, dict):
        raise EvalError("toset of a map")
    if any(isinstance(x, str) for x in items):
        items = [_to_str(x) for x in items]
        return HSet(sorted(set(items)))
    out = HSet()
    for x in items:
        if x not in out:
            out.append(x)
    return out


def _flatten(v: list) -> list:
    out = []
    for x in v:
        out.extend(_flatten(x) if isinstance(x, list) else [x])
    return out


def _lookup(m: Any, key: Any, *default: Any) -> Any:
    m = _materialize(m)
    if not isinstance(m, dict):
        raise EvalError("lookup on a non-map")
    k = _to_str(key)
    if k in m:
        return m[k]
    if default:
        return default[0]
    raise EvalError(f"lookup: no key {k!r}")


def _coalesce(*vals: Any) -> Any:
    for v in vals:
        if v is not None and v != "":
            return v
    raise EvalError("coalesce: no non-null argument")


FUNCTIONS = {
    "toset": _toset,
    "tolist": lambda v: list(_materialize(v)),
    "tomap": lambda v: dict(_materialize(v)),
    "tostring": lambda v: None if v is None else _to_str(v),
    "tonumber": lambda v: None if v is None else _to_num(v),
    "tobool": lambda v: None if v is None else _to_bool(v),
    "lookup": _lookup,
    "merge": lambda *ms: {k: x for m in ms if m is not None for k, x in _materialize(m).items()},
    "concat": lambda *ls: [x for ll in ls for x in _materialize(ll)],
    "keys": lambda m: sorted(_materialize(m).keys()),
    "values": lambda m: [x for _, x in sorted(_materialize(m).items())],
    "length": lambda v: len(_materialize(v)),
    "contains": lambda ll, x: any(_equal(y, x) for y in _materialize(ll)),
    "element": lambda ll, i: _materialize(ll)[int(_to_num(i)) % len(_materialize(ll))],
    "coalesce": _coalesce,
    "format": _fmt,
    "join": lambda sep, ll: _to_str(sep).join(_to_str(x) for x in _materialize(ll)),
    "split": lambda sep, s: _to_str(s).split(_to_str(sep)),
    "lower": lambda s: _to_str(s).lower(),
    "upper": lambda s: _to_str(s).upper(),
    "title": lambda s: _to_str(s).title(),
    "trimspace": lambda s: _to_str(s).strip(),
    "replace": lambda s, a, b: _to_str(s).replace(_to_str(a), _to_str(b)),
    "substr": lambda s, o, n: _to_str(s)[int(o):] if int(n) < 0 else _to_str(s)[int(o):int(o) + int(n)],
    "startswith": lambda s, p: _to_str(s).startswith(_to_str(p)),
    "endswith": lambda s, p: _to_str(s).endswith(_to_str(p)),
    "jsonencode": _jsonencode,
    "jsondecode": lambda s: json.loads(_to_str(s)),
    "zipmap": lambda k, v: dict(zip([_to_str(x) for x in _materialize(k)], _materialize(v))),
    "flatten": lambda ll: _flatten(_materialize(ll)),
    "distinct": lambda ll: [x for i, x in enumerate(_materialize(ll)) if x not in _materialize(ll)[:i]],
    "compact": lambda ll: [x for x in _materialize(ll) if x not in (None, "")],
    "range": lambda *a: list(range(*[int(_to_num(x)) for x in a])),
    "sort": lambda ll: sorted(_to_str(x) for x in _materialize(ll)),
    "one": lambda ll: (_materialize(ll) or [None])[0] if len(_materialize(ll)) <= 1 else (_ for _ in ()).throw(EvalError("one: more than one element")),
    "max": lambda *a: max(_to_num(x) for x in a),
    "min": lambda *a: min(_to_num(x) for x in a),
    "abs": lambda x: abs(_to_num(x)),
    "ceil": lambda x: math.ceil(_to_num(x)),
    "floor": lambda x: math.floor(_to_num(x)),
}
OPAQUE_FUNCTIONS = {"timestamp", "uuid", "bcrypt", "filebase64", "templatefile", "fileexists", "plantimestamp"}


class Evaluator:
    def __init__(self, sim: "Simulation"):
        self.sim = sim

    @staticmethod
    def literal(node: tuple) -> Any:
        """Evaluate a constant expression (tfvars)."""
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "tmpl" and all(isinstance(p, str) for p in node[1]):
            return "".join(node[1])
        if kind == "tuple":
            return [Evaluator.literal(x) for x in node[1]]
        if kind == "object":
            return {_to_str(Evaluator.literal(k)): Evaluator.literal(v) for k, v in node[1]}
        if kind == "unop" and node[1] == "-":
            return -Evaluator.literal(node[2])
        return Unknown("sim", f"non-literal tfvars value {kind}")

    def eval(self, node: tuple, scope: Scope) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "unsupported":
            return Unknown("sim", node[1])
        if kind == "raw":
            return node[1]
        if kind == "paren":
            return self.eval(node[1], scope)
        if kind == "tmpl":
            vals = [p if isinstance(p, str) else self.eval(p, scope) for p in node[1]]
            if len(vals) == 1 and not isinstance(node[1][0], str):
                return vals[0]  # "${x}" yields x itself
            unk = _unknown_in(*vals)
            if unk:
                return unk
            return "".join(_to_str(_materialize(v)) for v in vals)
        if kind == "tuple":
            return [self.eval(x, scope) for x in node[1]]
        if kind == "object":
            out = {}
            for k, v in node[1]:
                key = self.eval(k, scope)
                if isinstance(key, Unknown):
                    return key
                out[_to_str(key)] = self.eval(v, scope)
            return out
        if kind == "ref":
            return self.ref(node[1], scope)
        if kind == "getattr":
            return _getattr(self.eval(node[1], scope), node[2])
        if kind == "index":
            return _index(self.eval(node[1], scope), self.eval(node[2], scope))
        if kind == "splat":
            base = _materialize(self.eval(node[1], scope))
            if isinstance(base, Unknown):
                return base
            items = base if isinstance(base, list) else ([] if base is None else [base])
            out = []
            for item in items:
                for op, arg in node[2]:
                    item = _getattr(item, arg) if op == "getattr" else _index(item, self.eval(arg, scope))
                out.append(item)
            return out
        if kind == "cond":
            c = self.eval(node[1], scope)
            if isinstance(c, Unknown):
                return c
            return self.eval(node[2] if _to_bool(c) else node[3], scope)
        if kind == "unop":
            v = self.eval(node[2], scope)
            if isinstance(v, Unknown):
                return v
            return (not _to_bool(v)) if node[1] == "!" else -_to_num(v)
        if kind == "binop":
            return self.binop(node[1], node[2], node[3], scope)
        if kind == "call":
            return self.call(node[1], node[2], node[3], scope)
        if kind in ("for_tuple", "for_object"):
            return self.for_expr(node, scope)
        raise Unsupported(kind)

    def binop(self, op: str, l: tuple, r: tuple, scope: Scope) -> Any:
        a = self.eval(l, scope)
        if op in ("&&", "||") and not isinstance(a, Unknown):
            if op == "&&" and not _to_bool(a):
                return False
            if op == "||" and _to_bool(a):
                return True
            b = self.eval(r, scope)
            return b if isinstance(b, Unknown) else _to_bool(b)
        b = self.eval(r, scope)
        unk = _unknown_in(a, b)
        if unk:
            return unk
        if op == "==":
            return _equal(a, b)
        if op == "!=":
            return not _equal(a, b)
        x, y = _to_num(a), _to_num(b)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            res = x / y
            return int(res) if float(res).is_integer() else res
        if op == "%":
            return x % y
        return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]

    def call(self, name: str, args: list[tuple], expand: bool, scope: Scope) -> Any:
        if name in ("try", "can"):
            for arg in args:
                try:
                    v = self.eval(arg, scope)
                    if name == "can":
                        return v if isinstance(v, Unknown) else True
                    return v
                except EvalError:
                    if name == "can":
                        return False
            raise EvalError("try: no argument could be evaluated")
        if name == "file" and len(args) == 1:
            p = self.eval(args[0], scope)
            if isinstance(p, Unknown):
                return p
            path = Path(_to_str(p))
            path = path if path.is_absolute() else self.sim.root / path
            try:
                return path.read_text(encoding="utf-8")
            except OSError:
                raise EvalError(f"file({p!r}): not found") from None
        vals = [self.eval(a, scope) for a in args]
        if expand and vals:
            vals = vals[:-1] + list(_materialize(vals[-1]))
        if name in OPAQUE_FUNCTIONS or name not in FUNCTIONS:
            return Unknown("sim", f"function {name}()")
        unk = _unknown_in(*[_deep_unknown(_materialize(v)) if not isinstance(v, Unknown) else v for v in vals])
        if unk:
            return unk
        try:
            return FUNCTIONS[name](*vals)
        except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError) as exc:
            raise EvalError(f"{name}(): {exc}") from None

    def for_expr(self, node: tuple, scope: Scope) -> Any:
        kvars = node[1]
        coll = self.eval(node[2], scope)
        if isinstance(coll, Unknown):
            return coll
        out_list, out_map = [], {}
        for k, v in _items(coll):
            inner = scope.with_vars(**{n: x for n, x in zip(kvars, (k, v)) if n})
            cond = node[-1]
            if cond is not None:
                c = self.eval(cond, inner)
                if isinstance(c, Unknown):
                    return c
                if not _to_bool(c):
                    continue
            if node[0] == "for_tuple":
                out_list.append(self.eval(node[3], inner))
            else:
                key = self.eval(node[3], inner)
                if isinstance(key, Unknown):
                    return key
                val = self.eval(node[4], inner)
                if node[5]:
                    out_map.setdefault(_to_str(key), []).append(val)
                elif _to_str(key) in out_map:
                    raise EvalError(f"duplicate key {key!r} in for expression")
                else:
                    out_map[_to_str(key)] = val
        return out_list if node[0] == "for_tuple" else out_map

    def ref(self, name: str, scope: Scope) -> Any:
        if name in scope.fvars:
            return scope.fvars[name]
        mod = scope.mod
        if name == "var":
            return _NS(lambda n: mod.var(n))
        if name == "local":
            return _NS(lambda n: mod.local(n))
        if name == "each":
            if scope.each is None:
                raise EvalError("each used outside for_each")
            return {"key": scope.each[0], "value": scope.each[1]}
        if name == "count":
            if scope.count is None:
                raise EvalError("count.index used outside count")
            return {"index": scope.count}
        if name == "path":
            rel = os.path.relpath(mod.cfg.dir, self.sim.root)
            return {"module": rel, "root": ".", "cwd": str(self.sim.root)}
        if name == "terraform":
            return {"workspace": "default"}
        if name == "module":
            return _NS(lambda n: mod.module_value(n))
        if name in ("data", "self"):
            return Unknown("sim", f"{name} reference")
        return _NS(lambda n: mod.resource_value(name, n))


class _NS(Lazy):
    def __init__(self, getter):
        self.getter = getter

    def attr(self, name: str) -> Any:
        return self.getter(name)


# ----------------------------------------------------------------------------- state


@dataclass
class StateInst:
    address: str
    type: str
    attrs: dict[str, Any]


def _key_str(key: Any) -> str:
    if key is None:
        return ""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"[{key}]"
    return "[" + json.dumps(key, ensure_ascii=False) + "]"


def read_state(state: dict) -> dict[str, StateInst]:
    """Managed resource instances of a tfstate v4 or `terraform show -json` document."""
    out: dict[str, StateInst] = {}
    if "values" in state or "format_version" in state:
        def walk(module: dict) -> None:
            for r in module.get("resources", []):
                if r.get("mode") == "managed":
                    out[r["address"]] = StateInst(r["address"], r["type"], r.get("values") or {})
            for child in module.get("child_modules", []):
                walk(child)
        walk((state.get("values") or {}).get("root_module") or {})
        return out
    for r in state.get("resources", []):
        if r.get("mode") != "managed":
            continue
        prefix = r["module"] + "." if r.get("module") else ""
        for inst in r.get("instances", []):
            addr = f"{prefix}{r['type']}.{r['name']}{_key_str(inst.get('index_key'))}"
            out[addr] = StateInst(addr, r["type"], inst.get("attributes") or {})
    return out


# ----------------------------------------------------------------------------- module instances


class ModInst:
    def __init__(self, sim: "Simulation", cfg: ModuleCfg, path: tuple, parent: "ModInst | None",
                 call: CallCfg | None, call_scope: Scope | None):
        self.sim, self.cfg, self.path, self.parent = sim, cfg, path, parent
        self.call, self.call_scope = call, call_scope
        self.prefix = ".".join(f"module.{n}{_key_str(k)}" for n, k in path)
        self.children: dict[str, Any] = {}   # call name -> {key: ModInst} | list | Unknown | EvalError
        self._vars: dict[str, Any] = {}
        self._locals: dict[str, Any] = {}
        self._outputs: dict[str, Any] = {}
        self._busy: set[tuple[str, str]] = set()

    def addr(self, rtype: str, rname: str, key: Any) -> str:
        base = f"{rtype}.{rname}{_key_str(key)}"
        return f"{self.prefix}.{base}" if self.prefix else base

    def _memo(self, cache: dict, tag: str, name: str, compute) -> Any:
        if name in cache:
            return cache[name]
        if (tag, name) in self._busy:
            raise EvalError(f"cycle through {tag}.{name}")
        self._busy.add((tag, name))
        try:
            cache[name] = compute()
        finally:
            self._busy.discard((tag, name))
        return cache[name]

    def var(self, name: str) -> Any:
        decl = self.cfg.variables.get(name)
        if decl is None:
            raise EvalError(f"undeclared variable var.{name}")
        return self._memo(self._vars, "var", name, lambda: self._var(name, decl))

    def _var(self, name: str, decl: Body) -> Any:
        ev = self.sim.ev
        default = (ev.eval(decl.attrs["default"], Scope(self)) if "default" in decl.attrs
                   else Unknown("sim", f"var.{name} has no value"))
        if self.parent is None:
            value = self.sim.tfvars[name] if name in self.sim.tfvars else default
        elif name in self.call.body.attrs:
            value = ev.eval(self.call.body.attrs[name], self.call_scope)
            nullable = decl.attrs.get("nullable")
            if value is None and nullable is not None and ev.eval(nullable, Scope(self)) is False:
                value = default
        else:
            value = default
        typ = decl.attrs.get("type")
        if typ is not None and not isinstance(value, Unknown):
            head = typ[1] if typ[0] == "call" else (typ[1] if typ[0] in ("ref", "raw") else None)
            if isinstance(head, str) and head.startswith("set") and isinstance(value, list):
                value = _toset(value)
            elif head == "number" and isinstance(value, str):
                value = _to_num(value)
        return value

    def local(self, name: str) -> Any:
        if name not in self.cfg.locals:
            raise EvalError(f"undeclared local.{name}")
        return self._memo(self._locals, "local", name, lambda: self.sim.ev.eval(self.cfg.locals[name], Scope(self)))

    def output(self, name: str) -> Any:
        body = self.cfg.outputs.get(name)
        if body is None:
            raise EvalError(f"module {self.prefix} has no output {name!r}")
        return self._memo(self._outputs, "output", name,
                          lambda: self.sim.ev.eval(body.attrs.get("value", ("lit", None)), Scope(self)))

    def module_value(self, name: str) -> Any:
        if name not in self.children:
            raise EvalError(f"no module call {name!r}")
        kids = self.children[name]
        if isinstance(kids, (Unknown, EvalError)):
            return kids if isinstance(kids, Unknown) else Unknown("sim", str(kids))
        mode, insts = kids
        if mode is None:
            return _Outputs(insts[None])
        if mode == "count":
            return [_Outputs(insts[i]) for i in sorted(insts)]
        return {k: _Outputs(m) for k, m in sorted(insts.items())}

    def resource_value(self, rtype: str, rname: str) -> Any:
        res = self.cfg.resources.get(("managed", rtype, rname))
        if res is None:
            raise EvalError(f"reference to undeclared resource {rtype}.{rname}")
        if rtype not in SCHEMA:  # not planned here: take what state says
            return self.sim.state_value(self, rtype, rname)
        exp = self.sim.expand(self, res)
        if isinstance(exp, Unknown):
            return exp
        if isinstance(exp, EvalError):
            raise exp
        mode, keys = exp
        if mode is None:
            return _InstValue(self.sim, self.addr(rtype, rname, None))
        if mode == "count":
            return [_InstValue(self.sim, self.addr(rtype, rname, k)) for k, _ in keys]
        return {k: _InstValue(self.sim, self.addr(rtype, rname, k)) for k, _ in keys}


class _Outputs(Lazy):
    def __init__(self, mod: ModInst):
        self.mod = mod

    def attr(self, name: str) -> Any:
        return self.mod.output(name)

    def value(self) -> Any:
        return {n: self.mod.output(n) for n in self.mod.cfg.outputs}


class _InstValue(Lazy):
    def __init__(self, sim: "Simulation", address: str):
        self.sim, self.address = sim, address

    def attr(self, name: str) -> Any:
        return self.sim.instance_attr(self.address, name)

    def value(self) -> Any:
        st = self.sim.state.get(self.address)
        names = set(st.attrs) if st else set()
        return {n: self.attr(n) for n in sorted(names)}


# ----------------------------------------------------------------------------- planning


@dataclass
class AttrDiff:
    name: str
    old: Any
    new: Any
    force_new: bool
    sensitive: bool = False

    def __str__(self) -> str:
        def show(v: Any) -> str:
            if self.sensitive:
                return "(sensitive value)"
            if isinstance(v, Unknown):
                return "(known after apply)"
            return json.dumps(v, ensure_ascii=False)
        tail = "  # forces replacement" if self.force_new else ""
        return f"{self.name}: {show(self.old)} -> {show(self.new)}{tail}"


@dataclass
class InstancePlan:
    address: str
    action: str
    diffs: list[AttrDiff] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    new_values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    instances: dict[str, InstancePlan]
    errors: list[str]
    provider_version: str

    @property
    def actions(self) -> dict[str, str]:
        return {a: p.action for a, p in sorted(self.instances.items())}

    @property
    def unknowns(self) -> dict[str, list[str]]:
        return {a: p.unknowns for a, p in sorted(self.instances.items()) if p.unknowns}

    def render(self, verbose: bool = True) -> str:
        lines = [f"# provider {self.provider_version}"]
        lines += [f"! {e}" for e in self.errors]
        for addr, p in sorted(self.instances.items()):
            lines.append(f"{p.action:8} {addr}")
            if verbose:
                lines += [f"           {d}" for d in p.diffs]
                lines += [f"           error: {e}" for e in p.errors]
                lines += [f"           unknown: {u}" for u in p.unknowns]
                lines += [f"           note: {n}" for n in p.notes]
        return "\n".join(lines)


@dataclass
class ConfigInst:
    address: str
    mod: ModInst
    res: ResourceCfg
    key: Any
    scope: Scope


def _norm(typ: str, v: Any) -> Any:
    v = _materialize(v)
    if typ == "string":
        if v is None:
            return ""
        if isinstance(v, (dict, list)):
            return _jsonencode(v)
        return _to_str(v)
    if typ == "int":
        return 0 if v in (None, "") else int(_to_num(v))
    if typ == "bool":
        return False if v in (None, "") else _to_bool(v)
    if typ.startswith("map"):
        return {} if not v else {k: "" if x is None else _to_str(x) for k, x in v.items()}
    if typ.startswith("set"):
        return sorted({_to_str(x) for x in v}) if v else []
    return list(v) if v else []


def _json_equal(a: Any, b: Any) -> bool:
    try:
        return json.loads(a) == json.loads(b)
    except (TypeError, ValueError):
        return False


_IGNORE_NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)")


def _ignore_root(node: tuple) -> str | None:
    """The attribute an ignore_changes element names (bare, legacy quoted, or a traversal)."""
    while node[0] in ("getattr", "index"):
        node = node[1]
    if node[0] == "ref":
        return node[1]
    if node[0] == "raw" and isinstance(node[1], str):
        text = node[1]
    elif node[0] == "tmpl" and all(isinstance(p, str) for p in node[1]):
        text = "".join(node[1])
    else:
        return None
    m = _IGNORE_NAME.match(text.strip().strip('"'))
    return m.group(1) if m else None


class Simulation:
    def __init__(self, root: Path, state: dict, provider_version: str):
        self.root = Path(root).resolve()
        self.version_text = provider_version
        self.version = parse_version(provider_version)
        self.state = read_state(state)
        self.tfvars = load_tfvars(self.root)
        self.ev = Evaluator(self)
        self.errors: list[str] = []
        self._cfg_cache: dict[Path, ModuleCfg] = {}
        self._expand_cache: dict[tuple, Any] = {}
        self._plans: dict[str, InstancePlan] = {}
        self._busy: set[str] = set()
        self.registry = self._read_registry()
        self.config: dict[str, ConfigInst] = {}
        self.opaque: dict[str, str] = {}   # address prefix -> "unknown" | "invalid" (could not expand)
        self.root_mod = ModInst(self, self._load(self.root), (), None, None, None)
        self._collect(self.root_mod, ())

    # -- config
    def _read_registry(self) -> dict[str, Path]:
        manifest = self.root / ".terraform" / "modules" / "modules.json"
        if not manifest.is_file():
            return {}
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        return {m["Key"]: self.root / m["Dir"] for m in doc.get("Modules", []) if m.get("Key")}

    def _load(self, directory: Path) -> ModuleCfg:
        directory = directory.resolve()
        if directory not in self._cfg_cache:
            cfg = load_module(directory)
            self.errors += [f"{os.path.relpath(directory, self.root)}/{e}" for e in cfg.errors]
            self._cfg_cache[directory] = cfg
        return self._cfg_cache[directory]

    def _resolve(self, mod: ModInst, call: CallCfg, call_path: tuple[str, ...]) -> Path | None:
        if call.source.startswith(("./", "../")):
            return (mod.cfg.dir / call.source).resolve()
        key = ".".join(call_path)
        return self.registry.get(key)

    def _expand_body(self, body: Body, scope: Scope) -> Any:
        """(mode, [(key, Scope)]) for count/for_each, or Unknown, or EvalError."""
        try:
            if "count" in body.attrs and "for_each" in body.attrs:
                raise EvalError('"count" and "for_each" are mutually exclusive')
            if "count" in body.attrs:
                n = self.ev.eval(body.attrs["count"], scope)
                if isinstance(n, Unknown):
                    return n
                if n is None:
                    raise EvalError("count is null")
                n = int(_to_num(n))
                return "count", [(i, Scope(scope.mod, count=i)) for i in range(n)]
            if "for_each" in body.attrs:
                v = _materialize(self.ev.eval(body.attrs["for_each"], scope))
                unk = _deep_unknown(v) if isinstance(v, (dict, list)) else (v if isinstance(v, Unknown) else None)
                if isinstance(v, Unknown):
                    return v
                if isinstance(v, dict):
                    if any(isinstance(k, Unknown) for k in v):
                        return unk
                    return "for_each", [(k, Scope(scope.mod, each=(k, v[k]))) for k in sorted(v)]
                if isinstance(v, HSet):
                    if unk:
                        return unk
                    if any(not isinstance(x, str) for x in v):
                        raise EvalError("for_each set must contain strings")
                    return "for_each", [(k, Scope(scope.mod, each=(k, k))) for k in sorted(v)]
                raise EvalError("for_each needs a map or a set of strings (use toset())")
            return None, [(None, Scope(scope.mod))]
        except EvalError as exc:
            return exc
        except Unsupported as exc:
            return Unknown("sim", str(exc))

    def expand(self, mod: ModInst, res: ResourceCfg) -> Any:
        key = (mod.prefix, res.type, res.name)
        if key not in self._expand_cache:
            self._expand_cache[key] = self._expand_body(res.body, Scope(mod))
        return self._expand_cache[key]

    def _collect(self, mod: ModInst, call_path: tuple[str, ...]) -> None:
        for (mode, rtype, rname), res in mod.cfg.resources.items():
            if mode != "managed" or rtype not in SCHEMA:
                continue
            exp = self.expand(mod, res)
            prefix = mod.addr(rtype, rname, None)
            if isinstance(exp, Unknown):
                self.opaque[prefix] = "unknown"
                continue
            if isinstance(exp, EvalError):
                self.opaque[prefix] = "invalid"
                self.errors.append(f"{prefix}: {exp}")
                continue
            for k, scope in exp[1]:
                addr = mod.addr(rtype, rname, k)
                self.config[addr] = ConfigInst(addr, mod, res, k, scope)
        for name, call in mod.cfg.calls.items():
            path = call_path + (name,)
            target = self._resolve(mod, call, path)
            prefix = f"{mod.prefix + '.' if mod.prefix else ''}module.{name}"
            if target is None or not target.is_dir():
                self.errors.append(f"{prefix}: module source {call.source!r} not found (run terraform init?)")
                self.opaque[prefix] = "unknown"
                mod.children[name] = Unknown("sim", "module not installed")
                continue
            exp = self._expand_body(call.body, Scope(mod))
            if isinstance(exp, (Unknown, EvalError)):
                self.opaque[prefix] = "unknown" if isinstance(exp, Unknown) else "invalid"
                mod.children[name] = exp
                continue
            cfg = self._load(target)
            insts = {}
            for k, scope in exp[1]:
                child = ModInst(self, cfg, mod.path + ((name, k),), mod, call, scope)
                insts[k] = child
            mod.children[name] = (exp[0], insts)
            for child in insts.values():
                self._collect(child, path)

    # -- values of other resources
    def state_value(self, mod: ModInst, rtype: str, rname: str) -> Any:
        base = mod.addr(rtype, rname, None)
        found = {a: s for a, s in self.state.items() if a == base or a.startswith(base + "[")}
        if not found:
            return Unknown("sim", f"{base} is not in state")
        if base in found:
            return found[base].attrs
        keyed = {json.loads(a[len(base) + 1:-1]): s.attrs for a, s in found.items()}
        if all(isinstance(k, int) for k in keyed):
            return [keyed[k] for k in sorted(keyed)]
        return keyed

    def instance_attr(self, address: str, name: str) -> Any:
        plan = self.plan_of(address)
        if plan is None:
            return Unknown("sim", f"reference cycle through {address}")
        if plan.action in ("replace", "create"):
            ci = self.config.get(address)
            if ci and name in ci.res.body.attrs:
                try:
                    v = self.ev.eval(ci.res.body.attrs[name], ci.scope)
                except EvalError:
                    v = None
                if v is not None and not _deep_unknown(_materialize(v)):
                    return v
            return Unknown("apply", f"{address}.{name} is known only after apply ({plan.action})")
        if plan.action in ("invalid", "unknown", "delete"):
            return Unknown("sim", f"{address} is {plan.action}")
        if name in plan.new_values:
            return plan.new_values[name]
        st = self.state.get(address)
        if st is None or name not in st.attrs:
            return Unknown("sim", f"{address}.{name} not in state")
        return st.attrs[name]

    # -- the plan
    def _opaque_for(self, address: str) -> str | None:
        for prefix, status in self.opaque.items():
            if address == prefix or address.startswith(prefix + "[") or address.startswith(prefix + "."):
                return status
        return None

    def plan(self) -> Plan:
        addresses = set(self.config) | {a for a, s in self.state.items() if s.type in SCHEMA}
        for addr in sorted(addresses):
            self.plan_of(addr)
        return Plan(dict(self._plans), list(self.errors), self.version_text)

    def plan_of(self, address: str) -> InstancePlan | None:
        if address in self._plans:
            return self._plans[address]
        if address in self._busy:
            return None
        self._busy.add(address)
        try:
            ci, st = self.config.get(address), self.state.get(address)
            if ci is None:
                status = self._opaque_for(address)
                plan = InstancePlan(address, status or "delete")
                if status:
                    plan.notes.append("count/for_each of this resource or module could not be evaluated")
            else:
                plan = self._diff(ci, st)
            self._plans[address] = plan
            return plan
        finally:
            self._busy.discard(address)

    def _validate(self, ci: ConfigInst, schema: dict[str, Attr], plan: InstancePlan) -> tuple[bool, set[str]]:
        """Returns (ignore_all, ignored names); appends Terraform validation errors to plan."""
        rtype, body, v = ci.res.type, ci.res.body, self.version
        if not _ge(v, RESOURCE_SINCE[rtype]):
            plan.errors.append(f"resource type {rtype} does not exist in provider {self.version_text}")
        for name in body.attrs:
            if name in META_ARGS:
                continue
            a = schema.get(name)
            if a is None:
                plan.errors.append(f"unsupported argument {name!r} at provider {self.version_text}")
            elif not (a.optional or a.required):
                plan.errors.append(f"{name!r} is read-only (computed)")
        for bname, blocks in body.blocks.items():
            if bname in META_BLOCKS:
                continue
            if bname == "timeouts" and rtype in TIMEOUTS_SINCE and _ge(v, TIMEOUTS_SINCE[rtype]):
                if len(blocks) > 1:
                    plan.errors.append("duplicate timeouts block")
                continue
            plan.errors.append(f"unsupported block {bname!r} at provider {self.version_text}")
        for a in schema.values():
            if a.required:
                node = body.attrs.get(a.name)
                if node is None or node == ("lit", None):
                    plan.errors.append(f"missing required argument {a.name!r}")
        for x, y in CONFLICTS.get(rtype, []):
            if all(n in body.attrs and body.attrs[n] != ("lit", None) for n in (x, y)):
                plan.errors.append(f"{x!r} conflicts with {y!r}")
        lifecycles = body.blocks.get("lifecycle", [])
        if len(lifecycles) > 1:
            plan.errors.append("duplicate lifecycle block")
        ignore_all, ignored = False, set()
        for lc in lifecycles:
            node = lc.attrs.get("ignore_changes")
            if node is None:
                continue
            if node[0] == "raw" and node[1] == "all":
                ignore_all = True
                continue
            if node[0] != "tuple":
                plan.errors.append("ignore_changes must be a list or the keyword all")
                continue
            for item in node[1]:
                if item[0] == "tmpl" and item[1] == ["*"] or item == ("raw", "*"):
                    plan.errors.append('ignore_changes ["*"] is no longer valid; use ignore_changes = all')
                    continue
                name = _ignore_root(item)
                if name is None:
                    plan.errors.append(f"ignore_changes entry is not an attribute reference: {item}")
                elif name not in schema and name != "id":
                    plan.errors.append(f"ignore_changes names {name!r}, which provider {self.version_text} "
                                       f"does not define for {rtype}")
                else:
                    ignored.add(name)
        return ignore_all, ignored

    def _diff(self, ci: ConfigInst, st: StateInst | None) -> InstancePlan:
        rtype, body = ci.res.type, ci.res.body
        schema = attributes(rtype, self.version)
        plan = InstancePlan(ci.address, "no-op")
        ignore_all, ignored = self._validate(ci, schema, plan)
        if plan.errors:
            plan.action = "invalid"
            return plan
        if st is None:
            plan.action = "create"
            return plan
        if rtype == "alicloud_kms_key" and "PendingDeletion" in (st.attrs.get("status"), st.attrs.get("key_state")):
            plan.action = "create"
            plan.notes.append("key is PendingDeletion: refresh drops it from state")
            return plan
        values: dict[str, Any] = {}
        for name, a in schema.items():
            if not (a.optional or a.required):
                continue
            node = body.attrs.get(name)
            try:
                cv = self.ev.eval(node, ci.scope) if node is not None else None
                cv = _materialize(cv)
            except EvalError as exc:
                plan.errors.append(f"{name}: {exc}")
                continue
            except Unsupported as exc:
                cv = Unknown("sim", str(exc))
            values[name] = cv
        if plan.errors:
            plan.action = "invalid"
            return plan
        for name, cv in values.items():
            a = schema[name]
            sv = st.attrs.get(name)
            if ignore_all or name in ignored:
                continue
            unk = cv if isinstance(cv, Unknown) else _deep_unknown(cv)
            if unk is not None:
                if unk.kind == "sim":
                    plan.unknowns.append(f"{name}: {unk.why}")
                else:
                    plan.diffs.append(AttrDiff(name, sv, unk, a.force_new, a.sensitive))
                continue
            if cv is None:
                if a.default is not None:
                    cv = a.default
                elif a.computed:
                    continue
            if self._suppressed(rtype, name, cv, sv, st, values):
                continue
            try:
                differs = _norm(a.type, cv) != _norm(a.type, sv)
            except EvalError as exc:
                plan.errors.append(f"{name}: {exc}")
                continue
            if differs:
                plan.diffs.append(AttrDiff(name, sv, cv, a.force_new, a.sensitive))
                plan.new_values[name] = cv
        if plan.errors:
            plan.action = "invalid"
        elif any(d.force_new for d in plan.diffs):
            plan.action = "replace"
        elif plan.diffs:
            plan.action = "update"
        return plan

    def _suppressed(self, rtype: str, name: str, cv: Any, sv: Any, st: StateInst, values: dict) -> bool:
        v = self.version
        if name == "policy" and isinstance(cv, str) and isinstance(sv, str):
            return _json_equal(cv, sv)
        if rtype != "alicloud_kms_secret":
            return False
        secret_type = st.attrs.get("secret_type") or "Generic"
        if name == "secret_data" and _ge(v, "1.204.1") and secret_type != "Generic":
            return True
        if name == "extended_config" and _ge(v, "1.224.0") and secret_type != "Generic":
            return True
        if name == "secret_name" and _ge(v, "1.253.0") and secret_type == "RAMCredentials":
            return True
        if name == "recovery_window_in_days" and values.get("force_delete_without_recovery") in (True, "true"):
            return True
        return False


def simulate(root: Path, state: dict, provider_version: str) -> dict[str, str]:
    """address -> "no-op" | "update" | "replace" | "delete" | "create" | "invalid" | "unknown"."""
    return Simulation(root, state, provider_version).plan().actions


def simulate_plan(root: Path, state: dict, provider_version: str) -> Plan:
    """Like simulate(), with per-attribute diffs, unknowns, errors (secret values redacted)."""
    return Simulation(root, state, provider_version).plan()


# ----------------------------------------------------------------------------- provider version


_LOCK_RE = re.compile(
    r'provider\s+"registry\.terraform\.io/aliyun/alicloud"\s*\{[^}]*?version\s*=\s*"([^"]+)"', re.S)


def lock_version(root: Path) -> str | None:
    lock = Path(root) / ".terraform.lock.hcl"
    if not lock.is_file():
        return None
    m = _LOCK_RE.search(lock.read_text(encoding="utf-8"))
    return m.group(1) if m else None


def lowest_admitted(constraint: str) -> str | None:
    """Lowest version a required_providers constraint admits (>=, =, ~>, bare; > bumps patch)."""
    best = None
    for part in constraint.split(","):
        m = re.match(r"\s*(>=|=|~>|>)?\s*v?(\d+(?:\.\d+){0,2})\s*$", part)
        if not m:
            continue
        op, ver = m.group(1) or "=", parse_version(m.group(2))
        if op == ">":
            ver = ver[:2] + (ver[2] + 1,)
        if best is None or ver > best:
            best = ver
    return ".".join(map(str, best)) if best else None


def case_provider_version(root: Path, args: Iterable[str] = ()) -> str | None:
    """--provider-version from args, else the lock file, else the root's required_providers."""
    for arg in args:
        if arg.startswith("--provider-version="):
            return arg.split("=", 1)[1].strip()
    found = lock_version(root)
    if found:
        return found
    for path in sorted(Path(root).glob("*.tf")):
        with path.open(encoding="utf-8", newline="") as fh:
            doc = hcl2.load(fh)
        for tf in doc.get("terraform", []):
            for rp in tf.get("required_providers", []):
                spec = rp.get("alicloud")
                if isinstance(spec, dict) and "version" in spec:
                    return lowest_admitted(_unquote(spec["version"]))
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--state", type=Path, required=True, help="terraform.tfstate v4 or terraform show -json")
    ap.add_argument("--provider-version", help="default: the lock file / required_providers")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--json", action="store_true", help="print {address: action}")
    ns = ap.parse_args(argv)
    version = ns.provider_version or case_provider_version(ns.root)
    if not version:
        ap.error("no provider version: pass --provider-version")
    state = json.loads(ns.state.read_text(encoding="utf-8"))
    plan = simulate_plan(ns.root, state, version)
    print(json.dumps(plan.actions, indent=2) if ns.json else plan.render(ns.verbose))
    return 2 if any(a not in ("no-op",) for a in plan.actions.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
