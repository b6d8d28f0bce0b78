"""A small lexer for HCL native syntax: where comments, strings and heredocs are, where a line
really ends, and the token-structure rules Terraform's parser enforces but python-hcl2 does not.

Edits insert text at line starts; a line start inside a `/* … */` comment, a heredoc or a quoted
string is not code, so the edit builders ask this module where the next *real* line starts. Before a
patch is written, `structure_problems` checks the edited region the way HashiCorp's parser would:

- a quoted string holds no raw newline (outside `${ … }`) and only valid escapes;
- brackets balance;
- one argument per line (`a = 1 b = 2` is rejected by Terraform, accepted by python-hcl2);
- a block header's `{` is followed by a newline unless the block is a single-line block with at most
  one argument, closed on the same line;
- an argument in a multi-line body and a block's `}` are followed by a newline (`x = 1 }` and
  `} y = 2` are rejected by Terraform, accepted by python-hcl2);
- no comment is left open.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*|[0-9][0-9A-Za-z_.]*")
_HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
_PUNCT2 = ("==", "!=", "<=", ">=", "=>", "&&", "||", "...", "::")
_ESCAPES = set('nrt"\\')
_OPEN = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class Token:
    kind: str  # comment | string | heredoc | newline | word | punct
    start: int
    end: int


@dataclass(frozen=True)
class Problem:
    offset: int
    message: str


def tokens(text: str, start: int = 0, end: int | None = None,
           problems: list[Problem] | None = None) -> list[Token]:
    """The tokens of text[start:end], which must begin in code (not inside a comment or string)."""
    end = len(text) if end is None else end
    sink: list[Problem] = [] if problems is None else problems
    out: list[Token] = []
    i = start
    while i < end:
        c = text[i]
        if c in " \t\r\ufeff":
            i += 1
        elif c == "\n":
            out.append(Token("newline", i, i + 1))
            i += 1
        elif c == "#" or text.startswith("//", i):
            j = text.find("\n", i, end)
            j = end if j == -1 else j
            out.append(Token("comment", i, j))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2, end)
            if j == -1:
                sink.append(Problem(i, "comment opened with /* is never closed"))
                j = end
            else:
                j += 2
            out.append(Token("comment", i, j))
            i = j
        elif c == '"':
            j = _string(text, i, end, sink)
            out.append(Token("string", i, j))
            i = j
        elif c == "<" and (m := _HEREDOC.match(text, i, end)) is not None:
            j = _heredoc_end(text, m.end(), end, m.group(2), i, sink)
            out.append(Token("heredoc", i, j))
            i = j
        elif (m := _WORD.match(text, i, end)) is not None:
            out.append(Token("word", i, m.end()))
            i = m.end()
        else:
            width = next((len(p) for p in _PUNCT2 if text.startswith(p, i)), 1)
            out.append(Token("punct", i, i + width))
            i += width
    return out


def _string(text: str, i: int, end: int, problems: list[Problem]) -> int:
    """End (just after the closing quote) of the quoted string starting at text[i] == '"'."""
    j = i + 1
    while j < end:
        c = text[j]
        if c == '"':
            return j + 1
        if c == "\n":
            problems.append(Problem(j, "newline inside a quoted string (Terraform: invalid multi-line string)"))
            return j
        if c == "\\":
            nxt = text[j + 1:j + 2]
            if nxt in _ESCAPES and nxt:
                j += 2
            elif nxt == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[j + 2:j + 6]):
                j += 6
            elif nxt == "U" and re.fullmatch(r"[0-9A-Fa-f]{8}", text[j + 2:j + 10]):
                j += 10
            else:
                problems.append(Problem(j, "invalid escape sequence in a quoted string"))
                j += 2
        elif text.startswith(("$${", "%%{"), j):
            j += 3
        elif text.startswith(("${", "%{"), j):
            j = _template(text, j + 2, end, problems)
        else:
            j += 1
    problems.append(Problem(i, "quoted string is never closed"))
    return end


def _template(text: str, j: int, end: int, problems: list[Problem]) -> int:
    """Just after the `}` closing an interpolation or directive whose body starts at j."""
    depth = 0
    while j < end:
        c = text[j]
        if c == '"':
            j = _string(text, j, end, problems)
            continue
        if c in "{([":
            depth += 1
        elif c in "})]":
            if depth == 0 and c == "}":
                return j + 1
            depth -= 1
        j += 1
    problems.append(Problem(j, "interpolation is never closed"))
    return end


def _heredoc_end(text: str, body: int, end: int, marker: str, start: int, problems: list[Problem]) -> int:
    j = body
    while j < end:
        k = text.find("\n", j, end)
        k = end if k == -1 else k
        if text[j:k].strip() == marker:
            return k
        j = k + 1
    problems.append(Problem(start, f"heredoc is never closed (no {marker} line)"))
    return end


# ------------------------------------------------------------------ positions


def code_line_start(text: str, offset: int, limit: int) -> int | None:
    """The start of the first line after `offset` that begins in code: just after the first newline
    at or after `offset` that is not inside a comment, string or heredoc. None if there is none
    before `limit` (a position in code, e.g. a closing brace)."""
    for tok in tokens(text, offset, limit):
        if tok.kind == "newline":
            return tok.end
    return None


def first_code_token(text: str, start: int, end: int, kinds: tuple[str, ...] = ("word", "punct", "string",
                                                                                "heredoc")) -> Token | None:
    return next((t for t in tokens(text, start, end) if t.kind in kinds), None)


def list_elements(text: str) -> list[str] | None:
    """The first word (or quoted string's text) of each element of a `[ … ]` tuple expression,
    comments skipped; None when text is not a bracketed tuple."""
    toks = [t for t in tokens(text) if t.kind not in ("comment", "newline")]
    if not toks or text[toks[0].start:toks[0].end] != "[" or text[toks[-1].start:toks[-1].end] != "]":
        return None
    out: list[str] = []
    depth, expecting = 0, True
    for tok in toks[1:-1]:
        value = text[tok.start:tok.end]
        if tok.kind == "punct" and value in "([{":
            depth += 1
        elif tok.kind == "punct" and value in ")]}":
            depth -= 1
        elif depth == 0 and value == ",":
            expecting = True
            continue
        if depth == 0 and expecting:
            out.append(value[1:-1] if tok.kind == "string" else value)
            expecting = False
    return out


# ------------------------------------------------------------------ Terraform's structure rules


def structure_problems(text: str, start: int = 0, end: int | None = None) -> list[Problem]:
    """What Terraform's parser rejects in text[start:end] (a run of whole top-level items)."""
    problems: list[Problem] = []
    toks = [t for t in tokens(text, start, end, problems) if t.kind != "comment"]
    _Structure(text, toks, problems).body(0, top=True)
    return problems


class _Structure:
    def __init__(self, text: str, toks: list[Token], problems: list[Problem]) -> None:
        self.text, self.toks, self.problems = text, toks, problems

    def value(self, k: int) -> str:
        return self.text[self.toks[k].start:self.toks[k].end] if k < len(self.toks) else ""

    def kind(self, k: int) -> str:
        return self.toks[k].kind if k < len(self.toks) else "eof"

    def offset(self, k: int) -> int:
        return self.toks[k].start if k < len(self.toks) else (self.toks[-1].end if self.toks else 0)

    def problem(self, k: int, message: str) -> None:
        self.problems.append(Problem(self.offset(k), message))

    def body(self, k: int, top: bool = False) -> int:
        """Items up to the body's closing `}` (returned: its index) or the end."""
        while True:
            while self.kind(k) == "newline":
                k += 1
            if self.kind(k) == "eof":
                if not top:
                    self.problem(k, "block is never closed")
                return k
            if self.value(k) == "}":
                if top:
                    self.problem(k, "unbalanced }")
                    k += 1
                    continue
                return k
            k = self.item(k, top)

    def item(self, k: int, top: bool) -> int:
        """One argument or block starting at k; returns the index after its terminating newline."""
        if self.kind(k) != "word":
            self.problem(k, "argument or block definition required")
            return self.skip_line(k)
        if self.value(k + 1) == "=":
            k = self.expression(k + 2)
            if self.value(k) == "}":
                self.problem(k, "missing newline after argument (a closing brace shares its line)")
                return k
            return self.newline_after(k, "missing newline after argument")
        j = k + 1
        while self.kind(j) in ("word", "string"):
            j += 1
        if self.value(j) != "{":
            self.problem(j, "argument or block definition required")
            return self.skip_line(j)
        if self.kind(j + 1) != "newline":
            j = self.single_line_block(j)
        else:
            j = self.body(j + 1)
            if self.kind(j) == "eof":
                return j
            j += 1  # the "}"
        if self.kind(j) not in ("newline", "eof"):
            self.problem(j, "missing newline after block definition")
            return self.skip_line(j)
        return j

    def single_line_block(self, j: int) -> int:
        """`{ x = 1 }` or `{}`: at most one argument, closed on the same line. Index after the `}`."""
        k = j + 1
        if self.value(k) == "}":
            return k + 1
        if self.kind(k) == "word" and self.value(k + 1) == "=":
            k = self.expression(k + 2)
            if self.value(k) == "}":
                return k + 1
        self.problem(k, "invalid single-argument block definition (a block opened on this line must close on it, "
                        "with at most one argument)")
        k = self.skip_line(k)
        k = self.body(k)
        return k if self.kind(k) == "eof" else k + 1

    def expression(self, k: int) -> int:
        """Tokens of an expression up to a newline or an unmatched `}` at depth 0 (index returned)."""
        stack: list[str] = []
        while self.kind(k) != "eof":
            value, kind = self.value(k), self.kind(k)
            if not stack and (kind == "newline" or value == "}"):
                return k
            if kind == "punct" and value in _OPEN:
                stack.append(_OPEN[value])
            elif kind == "punct" and value in ")]}":
                if not stack or stack[-1] != value:
                    self.problem(k, f"unbalanced {value}")
                    return k + 1 if value != "}" else k
                stack.pop()
            elif not stack and kind == "punct" and value == "=":
                self.problem(k, "missing newline after argument (two arguments on one line)")
            k += 1
        if stack:
            self.problem(k, f"bracket never closed (expected {stack[-1]})")
        return k

    def newline_after(self, k: int, message: str) -> int:
        if self.kind(k) in ("newline", "eof"):
            return k + 1 if self.kind(k) == "newline" else k
        self.problem(k, message)
        return self.skip_line(k)

    def skip_line(self, k: int) -> int:
        while self.kind(k) not in ("newline", "eof") and self.value(k) != "}":
            k += 1
        return k + 1 if self.kind(k) == "newline" else k


def new_problems(before: list[Problem], after: list[Problem]) -> list[Problem]:
    """Problems `after` has that `before` does not (by message, counted)."""
    seen = Counter(p.message for p in before)
    out = []
    for problem in after:
        if seen[problem.message]:
            seen[problem.message] -= 1
        else:
            out.append(problem)
    return out
