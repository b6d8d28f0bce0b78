"""The top-level structure of a native-syntax file, read fast and exactly (issue 18).

python-hcl2's Lark parser reads about 0.25 MB/s, and most bytes of a Terraform file are
blocks tfkms never reads (VPCs, instances, security rules). This pass finds every top-level
block with its type, labels and exact byte spans without building any tree, so that only
the blocks that matter go to Lark (`hcl_parser.parse_hcl(text, skip=block_scope.read_plan)`), and
`child_blocks` finds the nested blocks tfkms never reads inside those (a variable's `validation`).

It is exact where structure is decided: quoted strings (escapes, `$${`, nested `${ }` and
`%{ }` with their own strings and braces), heredocs (`<<EOT`, `<<-EOT`, CRLF), `#`, `//` and
`/* */` comments, and nested braces. Most blocks are matched whole by one regular expression
(simple strings, interpolations without nested quotes, comments, up to five levels of
braces); a block it cannot match goes through the character scanner below, which handles
everything else. What this pass cannot read is a `StructureError` naming the line; a
top-level argument (`x = 1`, not a block) is `TopLevelArgument`: the caller parses the
whole file as before.
"""
from __future__ import annotations

import functools
import re
import sys
from typing import NamedTuple

from tfkms.config.hcl_tree import unescape


class StructureError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class TopLevelArgument(Exception):
    """An argument at the top level (tfvars style): not a block file; parse it whole."""


class ReadPlan(NamedTuple):
    shallow: set[int]  # indexes of top-level blocks read for their header only
    unread: list[tuple[int, int]]  # spans inside the other blocks that Lark never sees (nested blocks)


class TopBlock(NamedTuple):  # a tuple: 40,000 of them are made in a blink
    type: str
    labels: tuple[str, ...]
    start: int  # first character of the type keyword
    end: int  # just after the closing brace
    line: int
    end_line: int
    open_brace: int
    close_brace: int


_IDENT = r"[^\W\d][\w-]*"
# A line comment must run to its newline: inside a larger pattern, the engine could otherwise
# backtrack into it and read a name in the comment's text as a block.
_COMMENT = r"#[^\n]*(?![^\n])|//[^\n]*(?![^\n])|/\*(?:[^*]|\*(?!/))*\*/"
_GAP_PATTERN = rf"(?:[ \t\r\n\ufeff]+|{_COMMENT})*"
_AFTER_PATTERN = rf"[ \t\r]*(?:(?:{_COMMENT})[ \t\r]*)?(?:\n|\Z)"  # a block ends its line (comments aside)


def _fast_block_pattern(atomic: bool) -> str:
    """The blank and comments before a block, and the block, matched whole: simple strings
    (interpolations without quotes, braces or newlines), comments and up to five levels of
    braces; a heredoc or anything else sends the block to the scanner below. Every alternative
    starts with a different character (`$${` and `%%{` are escapes, tried before a lone `$`), and
    a line comment must reach its newline, so a failed match can never be re-read as a shorter
    one that closes the block early. Atomic groups (Python 3.11+) also spare the backtracking."""
    group, any_ = ("(?>", "*+") if atomic else ("(?:", "*")
    chars = "++" if atomic else ""  # without atomic groups, runs inside a repeat would backtrack exponentially
    comment = rf"#[^\n]*(?![^\n])|//[^\n]*(?![^\n])|/\*(?:[^*]{chars}|\*(?!/)){any_}\*/"
    string = rf'"(?:[^"\\\n$%]{chars}|\\[^\n]|\$\$\{{|%%\{{|\$(?!\{{)|%(?!\{{)|[$%]\{{[^{{}}"\n]*\}}){any_}"'
    plain = rf'{group}[^{{}}"#/<]{chars}|{string}|{comment}|/(?![/*])|<(?!<))'
    inner = plain
    for _ in range(4):
        inner = rf"{group}{plain}|\{{{inner}{any_}\}})"
    # groups: 1 type, 2 labels (quoted ones hold no escape or template), 3 the body's "{"
    return (rf'{_GAP_PATTERN}({_IDENT})((?:[ \t]*"[^"\\\n$%]*"|[ \t]+{_IDENT})*)[ \t]*'
            rf"(\{{){inner}{any_}\}}(?={_AFTER_PATTERN})")


_FAST_BLOCK = re.compile(_fast_block_pattern(atomic=sys.version_info >= (3, 11)))
_GAP = re.compile(_GAP_PATTERN)
_AFTER_BLOCK = re.compile(_AFTER_PATTERN)
_HEADER_SPACE = re.compile(r"(?:[ \t]+|/\*(?:[^*]|\*(?!/))*\*/)*")
_NAME = re.compile(_IDENT)
_BODY_STOP = re.compile(r'[{}"#/<]')
_STRING_STOP = re.compile(r'["\\\n$%]')
_SIMPLE_STRING = re.compile(r'"[^"\\\n$%]*"')
_UNTERMINATED = "unterminated string (a quoted string must end on the same line)"
_HEREDOC_START = re.compile(r"<<-?([A-Za-z][A-Za-z0-9._-]*)\r?\n")
_FAST_LABELS = re.compile(rf'"([^"]*)"|({_IDENT})')


@functools.lru_cache(maxsize=64)
def _heredoc_end(marker: str) -> re.Pattern[str]:
    # as python-hcl2 and hclsyntax read it: the marker alone on its line, indented or not
    return re.compile(rf"^[ \t]*{re.escape(marker)}\r?$", re.M)


def scan_structure(text: str) -> list[TopBlock]:
    """Every top-level block of a native-syntax file, in order."""
    blocks: list[TopBlock] = []
    append, fast_match, count = blocks.append, _FAST_BLOCK.match, text.count
    # one string object for each block type and type label: a generated file repeats a few thousands of times
    names: dict[str, str] = {}
    name = names.setdefault
    pos, line, size = 0, 1, len(text)  # `line` is the line of offset `pos`
    while True:
        fast = fast_match(text, pos)
        if fast is not None:
            start, end = fast.start(1), fast.end()
            kind, raw = fast.group(1, 2)
            kind = name(kind, kind)
            parts = raw.split('"')
            if len(parts) == 5 and parts[0] == " " and parts[2] == " " and not parts[4]:  # resource "t" "n"
                labels: tuple[str, ...] = (name(parts[1], parts[1]), parts[3])
            elif not raw:
                labels = ()
            elif '"' not in raw:
                labels = tuple(raw.split())
            else:
                labels = tuple(q or bare for q, bare in _FAST_LABELS.findall(raw))
            open_brace = fast.start(3)
        else:
            start = _GAP.match(text, pos).end()  # type: ignore[union-attr]  # matches the empty string
            if start >= size:
                return blocks
        line += count("\n", pos, start)
        if fast is None:
            kind, labels, open_brace, end = _slow_block(text, start, line)
        end_line = line + count("\n", start, end)
        append(TopBlock(kind, labels, start, end, line, end_line, open_brace, end - 1))
        if fast is None and _AFTER_BLOCK.match(text, end) is None:
            raise StructureError(end_line, "a block's closing brace must be followed by a newline")
        line, pos = end_line, end


def _slow_block(text: str, pos: int, line: int) -> tuple[str, tuple[str, ...], int, int]:
    """A block the fast expression did not match: header and body scanned piece by piece."""
    name = _NAME.match(text, pos)
    if name is None:
        raise StructureError(line, f"expected a block, found {_shown(text, pos)}")
    kind = name.group()
    labels: list[str] = []
    at = name.end()
    while True:
        at = _HEADER_SPACE.match(text, at).end()  # type: ignore[union-attr]
        char = text[at:at + 1]
        if char == "{":
            break
        if char == "=" and text[at + 1:at + 2] != "=":
            raise TopLevelArgument(kind)
        if char == '"':
            end = _skip_string(text, at)
            raw = text[at + 1:end - 1]
            if "${" in raw.replace("$${", "") or "%{" in raw.replace("%%{", ""):
                raise StructureError(line, "a block label cannot contain a template")
            labels.append(unescape(raw))
            at = end
            continue
        label = _NAME.match(text, at)
        if label is None or at == name.end():
            raise StructureError(line, f"expected a label or '{{' after {kind!r}, found {_shown(text, at)}")
        labels.append(label.group())
        at = label.end()
    close = skip_body(text, at + 1)
    return kind, tuple(labels), at, close + 1


def skip_body(text: str, pos: int) -> int:
    """The offset of the `}` closing the brace just before `pos` (a block's, or a `${`'s)."""
    depth, opened = 1, pos - 1
    while True:
        stop = _BODY_STOP.search(text, pos)
        if stop is None:
            raise StructureError(_line_of(text, opened), "unclosed: no closing '}' before the end of the file")
        at = stop.start()
        char = text[at]
        if char == "{":
            depth, pos = depth + 1, at + 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return at
            pos = at + 1
        else:
            pos = _skip_inert(text, at)


def _skip_inert(text: str, at: int) -> int:
    """Just after the string, comment or heredoc starting at `at` (one character for a `/` or
    `<` that starts none: a division, a comparison)."""
    char = text[at]
    if char == '"':
        return _skip_string(text, at)
    if char == "#" or text.startswith("//", at):
        newline = text.find("\n", at)
        return newline if newline >= 0 else len(text)
    if text.startswith("/*", at):
        close = text.find("*/", at + 2)
        if close < 0:
            raise StructureError(_line_of(text, at), "unterminated comment: no closing */")
        return close + 2
    heredoc = _HEREDOC_START.match(text, at) if char == "<" else None
    if heredoc is not None:
        closing = _heredoc_end(heredoc.group(1)).search(text, heredoc.end())
        if closing is None:
            raise StructureError(_line_of(text, at), f"unterminated heredoc: no closing {heredoc.group(1)} line")
        return closing.end()
    return at + 1


def _skip_string(text: str, start: int) -> int:
    """Just after the quoted string (template) opening at `start`."""
    simple = _SIMPLE_STRING.match(text, start)
    if simple is not None:
        return simple.end()
    pos = start + 1
    while True:
        stop = _STRING_STOP.search(text, pos)
        if stop is None or stop.group() == "\n":
            raise StructureError(_line_of(text, start), _UNTERMINATED)
        at = stop.start()
        char = stop.group()
        if char == '"':
            return at + 1
        if char == "\\":
            if text[at + 1:at + 2] in ("", "\n"):
                raise StructureError(_line_of(text, start), _UNTERMINATED)
            pos = at + 2
        elif text.startswith(char * 2 + "{", at):  # $${ and %%{ are literal text
            pos = at + 3
        elif text.startswith("{", at + 1):
            pos = skip_body(text, at + 2) + 1
        else:
            pos = at + 1


def _line_of(text: str, at: int) -> int:
    """Counted only when an error is reported: the scan itself never counts lines."""
    return text.count("\n", 0, at) + 1


def _shown(text: str, at: int) -> str:
    char = text[at:at + 1]
    if not char:
        return "the end of the file"
    return repr(char) if char.isprintable() and not char.isalnum() else "text"


def literal_text_spans(text: str, top: TopBlock) -> list[tuple[int, int]]:
    """The spans inside a top-level block that can hold no reference: comments, and quoted strings
    and heredocs without any template (`${` or `%{`, escaped or not, as python-hcl2 may read it)."""
    spans: list[tuple[int, int]] = []
    pos, end = top.open_brace + 1, top.close_brace
    while pos < end:
        stop = _BODY_STOP.search(text, pos, end)
        if stop is None:
            break
        at = stop.start()
        if text[at] in "{}":
            pos = at + 1
            continue
        after = _skip_inert(text, at)
        piece = text[at:after]
        comment = piece.startswith(("#", "//", "/*"))
        if comment or ("${" not in piece and "%{" not in piece):  # a lone / or < is one character: harmless
            spans.append((at, after))
        pos = after
    return spans


_CHILD_HEADER = re.compile(rf'[ \t]*({_IDENT})(?:[ \t]+(?:"[^"\\\n]*"|{_IDENT}))*[ \t]*')


def child_blocks(text: str, top: TopBlock) -> list[tuple[str, int, int]]:
    """(type, start, end) of the blocks directly inside a top-level block (`validation` in a
    `variable`, `backend` in `terraform`): a `{` whose line holds only a block header before it."""
    children: list[tuple[str, int, int]] = []
    depth, pos, end = 1, top.open_brace + 1, top.close_brace
    while pos < end:
        stop = _BODY_STOP.search(text, pos, end)
        if stop is None:
            break
        at = stop.start()
        char = text[at]
        if char == "{":
            line_start = text.rfind("\n", top.open_brace, at) + 1
            header = _CHILD_HEADER.fullmatch(text, line_start, at) if depth == 1 and line_start else None
            if header is not None:
                close = skip_body(text, at + 1)
                children.append((header.group(1), header.start(1), close + 1))
                pos = close + 1
            else:
                depth, pos = depth + 1, at + 1
        elif char == "}":
            depth, pos = depth - 1, at + 1
        else:
            pos = _skip_inert(text, at)
    return children
