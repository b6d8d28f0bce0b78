"""A PR comment (GitHub-flavoured Markdown, rendered from jinja2 templates).

The first line is a hidden marker, `<!-- tfkms:COMMAND:ROOT -->`, that a bot searches for to
update its one comment. Every text that comes from the user's repo or the cloud goes through
an escaping filter, so a finding cannot inject HTML or break the table. The comment stays
under GitHub's body limit by cutting the least important details first, never the headline.
"""
from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field, replace
from urllib.parse import quote

import jinja2

from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import Severity
from tfkms.patch.apply import EditConflict, splice_range
from tfkms.patch.model import Edit, FilePatch
from tfkms.redact import mask_secret_literals
from tfkms.status import ExitStatus

GITHUB_COMMENT_LIMIT = 65_536  # characters; counted in UTF-16 units, as GitHub's API does
MAX_MARKER_ROOT = 512

_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}

# Cut first -> cut last. The headline, counts and notice are never cut.
_CUT_ORDER = (
    ("suggestions", "suggestion blocks"),
    ("diffs", "file diffs"),
    ("howtos", "fix details"),
    ("suppressed", "suppressed findings"),
    ("rows", "findings table rows"),
    ("problems", "input problems"),
)


@dataclass(frozen=True)
class Row:
    rule: str
    severity: str
    address: str
    location: str
    message: str


@dataclass(frozen=True)
class HowTo:
    rule: str
    address: str
    hint: str
    strategy: str | None
    reason: str | None

    @property
    def strategy_note(self) -> str:
        if not self.strategy:
            return ""
        return f" (strategy {self.strategy}" + (f": {self.reason})" if self.reason else ")")


@dataclass(frozen=True)
class SuppressedItem:
    rule: str
    address: str
    location: str
    justification: str


@dataclass(frozen=True)
class DiffBlock:
    display: str
    text: str
    written: bool


@dataclass(frozen=True)
class Suggestion:
    """Replacement for lines first_line..last_line (1-based, inclusive) of `file`.

    `body` is whole lines, each ending in a newline; empty means "delete these lines".
    """

    file: str
    first_line: int
    last_line: int
    body: str
    about: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.first_line}"

    @property
    def line_note(self) -> str:
        if self.last_line == self.first_line:
            return ""
        return f" (lines {self.first_line}-{self.last_line})"


@dataclass(frozen=True)
class CommentView:
    marker: str
    command: str
    status: str
    counts: str
    clean: bool
    clean_line: str
    problems: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    howtos: list[HowTo] = field(default_factory=list)
    suppressed: list[SuppressedItem] = field(default_factory=list)
    diffs: list[DiffBlock] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    notice: str | None = None


def render(result: Result, *, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    view = build_view(result)
    text = _render_view(view)
    if _size(text) < limit:
        return text
    return _fit(view, limit)


def marker(result: Result) -> str:
    root = ",".join(result.paths) or "."
    # Percent-encode so the marker can never close the HTML comment ("--", ">") or span lines.
    root = quote(root, safe="/._-~@+=,").replace("--", "-%2D")
    if len(root) > MAX_MARKER_ROOT:
        root = "sha256-" + hashlib.sha256(root.encode()).hexdigest()[:16]
    return f"<!-- tfkms:{result.command}:{root} -->"


def build_view(result: Result) -> CommentView:
    counts = result.summary()
    findings = sorted(result.findings, key=lambda f: _SEVERITY_ORDER[f.severity])
    active = [f for f in findings if not f.suppressed]
    diffs = [DiffBlock(p.display, _ending_newline(_lf(p.unified_diff())), p.written)
             for p in result.patches if p.original != p.patched]
    return CommentView(
        marker=marker(result),
        command=result.command,
        status=_status(result),
        counts=_counts_line(result, counts),
        clean=not (result.findings or result.problems or diffs),
        clean_line=_clean_line(result),
        problems=[p.render() for p in result.problems],
        rows=[_row(f) for f in active],
        howtos=[HowTo(f.rule, f.address or "", f.hint, f.strategy, f.reason) for f in active if f.hint],
        suppressed=[SuppressedItem(f.rule, f.address or "", _location(f), f.suppressed or "")
                    for f in findings if f.suppressed],
        diffs=diffs,
        suggestions=build_suggestions(result),
    )


# -- suggestions -----------------------------------------------------------------------------

def build_suggestions(result: Result) -> list[Suggestion]:
    """One ```suggestion per edit; edits whose lines overlap share one (GitHub cannot apply
    two suggestions to the same line). A group whose text is not in the patched file is left
    out: the diff stays the authority."""
    patches = {p.display: p for p in result.patches}
    by_file: dict[str, list[tuple[Finding, Edit]]] = {}
    for finding in result.findings:
        for edit in finding.edits:
            by_file.setdefault(edit.file, []).append((finding, edit))
    suggestions = []
    for file, pairs in by_file.items():
        patch = patches.get(file)
        if patch is not None:
            suggestions += _file_suggestions(patch, pairs)
    return suggestions


def _file_suggestions(patch: FilePatch, pairs: list[tuple[Finding, Edit]]) -> list[Suggestion]:
    original = patch.original
    usable = sorted(((f, e) for f, e in pairs if original[e.start:e.end] == e.before),
                    key=lambda pair: (pair[1].start, pair[1].end))
    groups: list[tuple[int, int, list[tuple[Finding, Edit]]]] = []
    for finding, edit in usable:
        start, end = _line_span(original, edit)
        if groups and start < groups[-1][1]:
            first, last, members = groups[-1]
            groups[-1] = (first, max(last, end), members + [(finding, edit)])
        else:
            groups.append((start, end, [(finding, edit)]))
    out = []
    for start, end, members in groups:
        try:
            new = splice_range(original, start, end, [e for _, e in members])
        except EditConflict:
            continue  # overlapping edits: no single suggestion can express them
        if new not in patch.patched:
            continue
        old = original[start:end]
        first_line = original.count("\n", 0, start) + 1
        about = tuple(dict.fromkeys(f"{f.rule} {f.address}" if f.address else f.rule for f, _ in members))
        out.append(Suggestion(patch.display, first_line, first_line + old.count("\n", 0, len(old) - 1),
                              mask_secret_literals(_ending_newline(_lf(new))), about))
    return out


def _line_span(text: str, edit: Edit) -> tuple[int, int]:
    """The whole lines an edit touches: [start of its first line, end of its last line + newline)."""
    start = text.rfind("\n", 0, edit.start) + 1
    last_char = edit.end - 1 if edit.end > edit.start else edit.start
    newline = text.find("\n", last_char)
    end = len(text) if newline == -1 else newline + 1
    if start == end and start > 0:  # an insertion at the very end: anchor it on the last line
        start = text.rfind("\n", 0, start - 1) + 1
    return start, end


# -- view pieces -----------------------------------------------------------------------------

def _status(result: Result) -> str:
    status = result.exit_status()
    if status is ExitStatus.ERROR:
        return "some input could not be read"
    if status is ExitStatus.ACTION_NEEDED:
        return "do not apply this plan" if result.command in ("guard", "verify") else "action needed"
    return "no action needed"


def _counts_line(result: Result, counts: dict[str, int]) -> str:
    parts = [_count(counts["error"], "error"), _count(counts["warning"], "warning"),
             f"{counts['info']} info", f"{counts['suppressed']} suppressed",
             _count(counts["resources"], "KMS resource")]
    if result.pending_patches:
        parts.append(_count(len(result.pending_patches), "file") + " to change")
    written = len(result.patches) - len(result.pending_patches)
    if written:
        parts.append(_count(written, "file") + " written")
    if counts["problems"]:
        parts.append(_count(counts["problems"], "input problem"))
    return " · ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _row(finding: Finding) -> Row:
    severity = finding.severity.value + (" (fixed)" if finding.resolved else "")
    return Row(finding.rule, severity, finding.address or "", _location(finding), finding.message)


def _location(finding: Finding) -> str:
    if finding.file and finding.line:
        return f"{finding.file}:{finding.line}"
    return finding.file or ""


def _clean_line(result: Result) -> str:
    n = len(result.resources)
    scope = f"in {_count(n, 'KMS resource')}" if n else "(no KMS resources found)"
    return f"**tfkms {result.command}**: no findings {scope}; nothing to do."


def _lf(text: str) -> str:
    # GitHub stores comments with LF; CRLF files would otherwise show stray carriage returns.
    return text.replace("\r\n", "\n")


def _ending_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


# -- rendering -------------------------------------------------------------------------------

# A code span: a backtick run, content, the same run. One after a backslash is not taken as a
# span, so everything around it is escaped (the safe reading of `\``).
_CODE_SPAN = re.compile(r"(?<![`\\])(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def escape_text(text: str) -> str:
    """Prose from findings, on one line, with no HTML getting through.

    Code spans stay as they are: Markdown shows their content literally, so `a > b` must not
    become `a &gt; b`. Outside them every `<` is escaped, so no HTML tag can open and swallow
    a span."""
    text = " ".join(text.splitlines())
    out, pos = [], 0
    for span in _CODE_SPAN.finditer(text):
        out += [_escape_html(text[pos:span.start()]), span.group(0)]
        pos = span.end()
    out.append(_escape_html(text[pos:]))
    return "".join(out)


def _escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_BACKSLASHES_BEFORE_PIPE = re.compile(r"(\\+)(?=\|)")


def escape_pipes(text: str) -> str:
    r"""A table cell's pipes escaped. GitHub reads a backslash and the punctuation after it as one
    escape, so `a\|b` would split after `a\`: backslash runs before a pipe are doubled first."""
    return _BACKSLASHES_BEFORE_PIPE.sub(lambda run: run.group(1) * 2, text).replace("|", "\\|")


def escape_cell(text: str) -> str:
    return "<br>".join(escape_pipes(escape_text(line)) for line in text.splitlines()) if text else ""


def inline_code(text: str, *, in_table: bool = False) -> str:
    """A code span that survives backticks (and, in a table, pipes) in its content."""
    if not text:
        return ""
    text = " ".join(text.splitlines())
    ticks = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    span = f"{ticks}{pad}{text}{pad}{ticks}"
    return escape_pipes(span) if in_table else span


def fence(text: str) -> str:
    """A code fence longer than any backtick run in `text` (a heredoc may hold ```)."""
    longest = max((len(run) for run in re.findall("`{3,}", text)), default=2)
    return "`" * max(3, longest + 1)


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tfkms.report", "templates"),
        autoescape=False,  # Markdown, not HTML: the filters below do the escaping
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(text=escape_text, cell=escape_cell, code=inline_code, fence=fence,
                       cell_code=lambda value: inline_code(value, in_table=True))
    return env


def _render_view(view: CommentView) -> str:
    return _environment().get_template("comment.md.j2").render(view=view)


def _size(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# -- fitting under the limit -----------------------------------------------------------------

def _fit(view: CommentView, limit: int) -> str:
    """Keep the longest prefix of each section, cutting sections in _CUT_ORDER."""
    kept = {name: len(getattr(view, name)) for name, _ in _CUT_ORDER}
    for name, _ in _CUT_ORDER:
        low, high = 0, kept[name]
        while low < high:  # the largest count of this section that fits
            mid = (low + high + 1) // 2
            if _size(_render_view(_cut(view, {**kept, name: mid}))) < limit:
                low = mid
            else:
                high = mid - 1
        kept[name] = low
        text = _render_view(_cut(view, kept))
        if _size(text) < limit:
            return text
    return _hard_cut(_render_view(_cut(view, kept)), limit)


def _cut(view: CommentView, kept: dict[str, int]) -> CommentView:
    cut_parts = []
    for name, label in _CUT_ORDER:
        total = len(getattr(view, name))
        if kept[name] < total:
            cut_parts.append(f"{total - kept[name]} of {total} {label}")
    notice = None
    if cut_parts:
        notice = (f"Cut to fit GitHub's {GITHUB_COMMENT_LIMIT:,}-character comment limit: "
                  f"{', '.join(cut_parts)}. The full report is in the JSON/SARIF artifact "
                  "(`--format json`, `--format sarif`).")
    sections = {name: getattr(view, name)[:kept[name]] for name, _ in _CUT_ORDER}
    return replace(view, notice=notice, **sections)


def _hard_cut(text: str, limit: int) -> str:
    # Only reachable when the headline itself is enormous; never exceed the limit regardless.
    tail = "\n\n(cut: the full report is in the JSON/SARIF artifact)\n"
    budget = limit - _size(tail) - 1
    head = text.encode("utf-16-le")[: budget * 2].decode("utf-16-le", errors="ignore")
    return head + tail
