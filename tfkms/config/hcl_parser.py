"""Parse native HCL with python-hcl2's Lark grammar and keep exact source spans.

python-hcl2 can only write files back by regenerating them (comments and layout lost),
so tfkms uses it to *read and locate* only: the raw Lark tree carries character
positions for every block and attribute, and edits are text splices at those positions.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tfkms.config.hcl_tree import NEWLINE_OR_COMMENT, name_of, unescape
from tfkms.config.syntax import Attribute, Block, Expr, ShallowHeader

if TYPE_CHECKING:
    from tfkms.config.hcl_structure import ReadPlan, TopBlock

_SUPPRESS_MARK = "tfkms:ignore"


class HclSyntaxError(Exception):
    def __init__(self, line: int | None, column: int | None, message: str, pos: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message
        self.pos = pos  # offset in the parsed text, where Lark gives one


def parse_tree(text: str) -> Any:
    """The raw Lark tree; raises HclSyntaxError with a position on bad input."""
    try:
        return _parse_tree(text)
    except HclSyntaxError as exc:
        # Lark notices an unterminated string or heredoc only at the end of the file; point
        # at the line where it starts, which is where the user has to look.
        found = locate_unterminated(text)
        if found is not None and (exc.line is None or found[0] <= exc.line):
            raise HclSyntaxError(found[0], None, found[1]) from None
        raise


_HEREDOC = re.compile(r"<<-?([A-Za-z][A-Za-z0-9_-]*)\s*$")


def locate_unterminated(text: str) -> tuple[int, str] | None:
    """The first line opening a quoted string or heredoc that never closes."""
    heredoc: tuple[str, int] | None = None
    in_block_comment = False
    for number, line in enumerate(text.splitlines(), start=1):
        if heredoc is not None:
            if line.strip() == heredoc[0]:
                heredoc = None
            continue
        i, quote_open = 0, False
        while i < len(line):
            c = line[i]
            if in_block_comment:
                if line.startswith("*/", i):
                    in_block_comment, i = False, i + 2
                    continue
            elif quote_open:
                if c == "\\":
                    i += 1
                elif c == '"':
                    quote_open = False
            elif c == '"':
                quote_open = True
            elif c == "#" or line.startswith("//", i):
                break
            elif line.startswith("/*", i):
                in_block_comment = True
            i += 1
        if quote_open and "${" not in line:
            return number, "unterminated string (a quoted string must end on the same line)"
        match = _HEREDOC.search(line)
        if match and not quote_open:
            heredoc = (match.group(1), number)
    if heredoc is not None:
        return heredoc[1], f"unterminated heredoc: no closing {heredoc[0]} line"
    return None


def _parse_tree(text: str) -> Any:
    import hcl2  # lazy: ~0.1 s to import, not needed for `--help` or unparsed runs

    if text.startswith("\ufeff"):  # a UTF-8 BOM: Terraform accepts it; same length keeps offsets
        text = " " + text[1:]
    from lark.exceptions import (
        UnexpectedCharacters,
        UnexpectedEOF,
        UnexpectedInput,
        UnexpectedToken,
    )

    try:
        return hcl2.parses_to_tree(text)
    except UnexpectedCharacters as exc:
        pos = exc.pos_in_stream or 0
        char = text[pos] if pos < len(text) else ""
        shown = f" {char!r}" if char and not char.isalnum() and char.isprintable() else ""
        raise HclSyntaxError(exc.line, exc.column, f"unexpected character{shown}", pos) from None
    except UnexpectedToken as exc:
        tok = exc.token
        if tok.type == "$END":
            line = text.count("\n") + 1
            raise HclSyntaxError(line, None, "unexpected end of file (unclosed block, string or heredoc?)",
                                 len(text)) from None
        raise HclSyntaxError(exc.line, exc.column, f"unexpected {_describe_token(tok)}", tok.start_pos) from None
    except UnexpectedEOF:
        raise HclSyntaxError(text.count("\n") + 1, None, "unexpected end of file", len(text)) from None
    except UnexpectedInput as exc:  # pragma: no cover - other lark input errors
        first_line = str(exc).splitlines()[0]
        raise HclSyntaxError(getattr(exc, "line", None), getattr(exc, "column", None), first_line) from None
    except RecursionError:
        raise HclSyntaxError(None, None, "nesting too deep to parse") from None


_TOKEN_WORDS = {"STRING_CHARS": "text", "NAME": "name", "NL_OR_COMMENT": "newline or comment",
                "DBLQUOTE": "quote", "INT_LITERAL": "number", "FLOAT_LITERAL": "number"}


def _describe_token(tok: Any) -> str:
    """What kind of token, never its text: the text may be a secret the user mistyped."""
    if tok.type in _TOKEN_WORDS:
        return _TOKEN_WORDS[tok.type]
    value = str(tok)
    if len(value) <= 3 and not any(c.isalnum() for c in value):  # punctuation is safe to show
        return repr(value)
    return tok.type.lower().replace("_", " ")


def _last_token(node: Any) -> Any:
    """The rightmost token that is not a newline or comment (descending the right edge)."""
    from lark import Token

    for child in reversed(node.children):
        if isinstance(child, Token):
            if child.type != "NL_OR_COMMENT":
                return child
        elif child.data != NEWLINE_OR_COMMENT:
            found = _last_token(child)
            if found is not None:
                return found
    return None


class _Builder:
    """Walks the Lark tree once, producing Blocks/Attributes and collecting comments."""

    def __init__(self, text: str, anchors: list[tuple[int, int]] | None = None) -> None:
        self.text = text
        self.comments: list[tuple[int, str]] = []
        self.has_marks = _SUPPRESS_MARK in text  # most files have none: skip the comment search
        # (offset, line) of each top-level block when Lark read a text with blocks blanked out
        # (its own line numbers are then off): lines are counted from the nearest one instead
        self.anchors = anchors
        self._anchor_starts = [start for start, _ in anchors] if anchors else []

    def line(self, pos: int, lark_line: int) -> int:
        if self.anchors is None:
            return lark_line
        return self.line_of(pos)

    def line_of(self, pos: int) -> int:
        if not self.anchors:
            return self.text.count("\n", 0, pos) + 1
        start, line = self.anchors[max(0, bisect.bisect_right(self._anchor_starts, pos) - 1)]
        if start > pos:
            return self.text.count("\n", 0, pos) + 1
        return line + self.text.count("\n", start, pos)

    def body(self, tree: Any) -> tuple[dict[str, Attribute], list[Block]]:
        from lark import Tree

        attributes: dict[str, Attribute] = {}
        blocks: list[Block] = []
        for child in tree.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "attribute":
                attr = self.attribute(child)
                if attr.name in attributes:
                    raise HclSyntaxError(attr.line, None, f"duplicate argument {attr.name!r}")
                attributes[attr.name] = attr
            elif child.data == "block":
                blocks.append(self.block(child))
            elif child.data == NEWLINE_OR_COMMENT:
                self.collect_comments(child)
        return attributes, blocks

    def collect_comments(self, tree: Any) -> None:
        if not self.has_marks:
            return
        for tok in tree.children:
            value = str(tok)
            if _SUPPRESS_MARK in value:
                self.comments.append((self.line(tok.start_pos, tok.line), value.strip()))

    def attribute(self, tree: Any) -> Attribute:
        name_node, _eq, value = tree.children
        name = name_of(name_node)
        start = name_node.meta.start_pos
        expr = self.expr(value)
        return Attribute(name=name, start=start, end=expr.end, line=self.line(start, name_node.meta.line),
                         end_line=expr.end_line, expr=expr)

    def expr(self, node: Any) -> Expr:
        start = node.meta.start_pos
        # A node's span can run over trailing newlines and comments (binary operators take
        # them); the expression ends with its last real token.
        last = _last_token(node)
        end = min(last.end_pos if last is not None else node.meta.end_pos, len(self.text))
        # Heredoc tokens swallow the newline after the closing marker; keep spans tight.
        while end > start and self.text[end - 1] in "\r\n":
            end -= 1
        line = self.line(start, node.meta.line)
        end_line = self.line_of(end) if end > start else line
        self.collect_nested_comments(node)
        text = self.text[start:end]
        return Expr(syntax="hcl", node=node, start=start, end=end, line=line,
                    end_line=end_line, text=text, heredoc=text.startswith("<<"), reparse=reparse_node)

    def collect_nested_comments(self, node: Any) -> None:
        from lark import Tree

        if not self.has_marks:
            return
        for sub in node.iter_subtrees():
            if isinstance(sub, Tree) and sub.data == NEWLINE_OR_COMMENT:
                self.collect_comments(sub)

    def block(self, tree: Any) -> Block:
        from lark import Token, Tree

        children = tree.children
        block_type = name_of(children[0])
        labels: list[str] = []
        open_brace = close_brace = -1
        body_tree = None
        for child in children[1:]:
            if isinstance(child, Token):
                if child.type == "LBRACE":
                    open_brace = child.start_pos or 0
                elif child.type == "RBRACE":
                    close_brace = child.start_pos or 0
            elif isinstance(child, Tree):
                if child.data == "body":
                    body_tree = child
                elif child.data == "string":
                    labels.append(string_literal(child))
                elif child.data in ("identifier", "keyword", "literal_value"):
                    labels.append(name_of(child))
                elif child.data == NEWLINE_OR_COMMENT:
                    self.collect_comments(child)
        attributes, blocks = self.body(body_tree) if body_tree is not None else ({}, [])
        start = children[0].meta.start_pos
        end = close_brace + 1
        return Block(type=block_type, labels=labels, start=start, end=end,
                     line=self.line(start, children[0].meta.line), end_line=self.line_of(close_brace),
                     open_brace=open_brace, close_brace=close_brace,
                     attributes=attributes, blocks=blocks)


def string_literal(tree: Any) -> str:
    """The value of a quoted string without interpolation (used for labels)."""
    from lark import Tree

    parts = []
    for part in tree.children:
        if isinstance(part, Tree) and part.data == "string_part":
            parts.append(unescape(str(part.children[0])) if not isinstance(part.children[0], Tree)
                         else "${...}")
    return "".join(parts)


FULL_PARSE_LIMIT = 256 * 1024  # a smaller file the fast pass cannot read is parsed whole: Lark's message

SkipChooser = Callable[[list["TopBlock"], str], "ReadPlan"]


Parsed = tuple[dict[str, Attribute], list[Block], list[tuple[int, str]], list[ShallowHeader]]


def parse_hcl(text: str, skip: SkipChooser | None = None, found: list[TopBlock] | None = None) -> Parsed:
    """Top-level attributes, blocks and suppression comments of one native-syntax file. With
    `skip`, the file's structure is read first (`hcl_structure`; `found` if the caller has it)
    and the blocks `skip` names are never given to Lark: only their headers come back (type,
    labels, line)."""
    if skip is not None:
        selected = _parse_selected(text, skip, found)
        if selected is not None:
            return selected
    tree = parse_tree(text)
    builder = _Builder(text)
    try:
        attributes, blocks = builder.body(tree.children[0])
    except RecursionError:
        raise HclSyntaxError(None, None, "nesting too deep to parse") from None
    return attributes, blocks, builder.comments, []


def _parse_selected(text: str, skip: SkipChooser, found: list[TopBlock] | None = None) -> Parsed | None:
    """None when the whole file should go to Lark: nothing to skip, a top-level argument, or a
    small file whose structure the fast pass cannot read (Lark names the error as it always has)."""
    from tfkms.config.hcl_structure import StructureError, TopLevelArgument, scan_structure
    from tfkms.config.simple_blocks import read_simple_blocks

    try:
        found = scan_structure(text) if found is None else found
    except TopLevelArgument:
        return None
    except StructureError as exc:
        if len(text) < FULL_PARSE_LIMIT:
            return None
        raise HclSyntaxError(exc.line, None, exc.message) from None
    plan = skip(found, text)
    skipped = plan.shallow
    simple = read_simple_blocks(text, found, skipped, plan.unread, reparse_node)
    if not skipped and not plan.unread and not simple:
        return None
    shallow = [(found[i].type, found[i].labels, found[i].line) for i in sorted(skipped)]
    if len(skipped) + len(simple) == len(found) and _SUPPRESS_MARK not in text:
        # nothing left for Lark: the gaps between blocks are blank or comments (hcl_structure)
        return {}, [simple[i] for i in sorted(simple)], [], shallow
    # Unread text becomes spaces (newlines too: Lark reads a run of spaces as one token, each
    # newline as one): offsets stay exact; lines are counted from each block's known line. A run
    # of shallow blocks is blanked with the gaps between them (their comments can only concern
    # the shallow blocks after them: a suppression is read inside a block or above it).
    spans = sorted((block.start, block.end) for block in simple.values())
    starts = [start for start, _ in spans]
    spans += [span for span in plan.unread if not _inside(span[0], spans, starts)]  # blanked with its block
    i, count = 0, len(found)
    while i < count:
        if i not in skipped:
            i += 1
            continue
        first = i
        while i + 1 < count and i + 1 in skipped:
            i += 1
        spans.append((found[first].start, found[i].end))
        i += 1
    pieces, at = [], 0
    for start, end in sorted(spans):
        pieces += [text[at:start], " " * (end - start)]
        at = end
    pieces.append(text[at:])
    builder = _Builder(text, anchors=[(b.start, b.line) for b in found])
    try:
        tree = _parse_tree("".join(pieces))
        attributes, blocks = builder.body(tree.children[0])
    except HclSyntaxError as exc:
        line = builder.line_of(exc.pos) if exc.pos is not None else exc.line
        raise HclSyntaxError(line, exc.column, exc.message, exc.pos) from None
    except RecursionError:
        raise HclSyntaxError(None, None, "nesting too deep to parse") from None
    if simple:
        blocks = sorted(blocks + list(simple.values()), key=lambda block: block.start)
    return attributes, blocks, builder.comments, shallow


def _inside(at: int, spans: list[tuple[int, int]], starts: list[int]) -> bool:
    """Whether offset `at` lies in one of `spans` (sorted, disjoint; `starts` their starts)."""
    i = bisect.bisect_right(starts, at) - 1
    return i >= 0 and at < spans[i][1]


def parse_expression(text: str) -> Expr | None:
    """One expression's text as an Expr of its own (None if it does not parse on its own)."""
    try:
        attributes = parse_hcl(f"x = {text}\n")[0]
    except HclSyntaxError:
        return None
    return attributes["x"].expr


def reparse_node(text: str) -> Any:
    """The node of a detached expression, from its text (the `Expr.reparse` of every HCL Expr);
    a simple value's without the grammar."""
    from tfkms.config.simple_values import simple_tree

    tree = simple_tree(text)
    if tree is not None:
        return tree
    parsed = parse_expression(text)
    return parsed.node if parsed is not None else None
