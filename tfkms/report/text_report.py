"""`--format text`: what a person reads at a terminal, as compact as tflint or ruff.

One finding per line (`main.tf:16  TFKMS201  alicloud_kms_key.signing  message`), the decision
below it, grouped by root when there are several; each rule's hint once, in a footer; the diff
first; the verdict last (what happens, and what to do). Width-aware: no line is wider than the
terminal. Colour only when asked (a terminal without NO_COLOR).
"""
from __future__ import annotations

import re
import textwrap
import unicodedata

from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import DESTRUCTIVE_RULES, RULES
from tfkms.i18n import Translate, english, translation
from tfkms.status import ExitStatus

_STYLE = {"error": "1;31", "warning": "33", "info": "36"}  # SGR codes
_DIFF_STYLE = {"+": "32", "-": "31", "@": "36"}
_SGR = re.compile(r"\x1b\[[0-9;]*m")  # the colour codes _Painter writes: no width on screen
DEFAULT_WIDTH = 100
MIN_WIDTH = 40


def render(result: Result, color: bool = False, width: int | None = None, show_problems: bool = True,
           language: str = "en") -> str:
    """`show_problems`: list input problems here too (off when the command prints them on stderr);
    `language`: en, or zh (tfkms.i18n: the report's own words in Chinese, finding messages led by
    their rule's title in Chinese)."""
    width = max(MIN_WIDTH, width or DEFAULT_WIDTH)
    _ = translation(language)
    paint = _Painter(color)
    out: list[str] = []
    for patch in result.patches:
        for line in patch.unified_diff().splitlines():
            out.append(paint(line, _DIFF_STYLE.get(line[:1], "") if not line.startswith(("+++", "---")) else "1"))
    if result.patches:
        out.append("")
    shown = [f for f in result.findings if not f.resolved]  # what --write fixed is counted, not listed again
    roots = sorted({f.root or "." for f in shown})
    for root in roots:
        if len(roots) > 1:
            out.append(paint(f"{root}/" if root != "." else "./", "1"))
        indent = "  " if len(roots) > 1 else ""
        for finding in (f for f in shown if (f.root or ".") == root):
            out += _finding_lines(finding, result.command, indent, width, paint, _)
    if shown:
        out.append("")
    out += _batches(result, width, _)
    hints = sorted({(f.rule, f.hint or (RULES[f.rule].help if f.rule in RULES else "")) for f in shown
                    if f.needs_action})
    if hints:
        out.append(paint(_("hints:"), "1"))
        for rule, hint in hints:
            if hint:
                out += wrap(f"{rule}  {printable(_(hint))}", width, "  ", "            ")
        out.append("")
    if show_problems:
        for problem in result.problems:
            out += wrap(paint(_("error: "), "1;31") + printable(problem.render()), width, "", "  ")
    out += [line.replace("\u00a0", " ") for line in wrap(_summary_for_wrapping(result, _), width, "", "  ")]
    out += wrap(verdict_line(result, _), width, "", "  ")
    return "\n".join(out) + "\n"


def _finding_lines(f: Finding, command: str, indent: str, width: int, paint: _Painter,
                   _: Translate = english) -> list[str]:
    severity = printable(_severity(f, _))
    head = "  ".join(part for part in (printable(_location(f)), paint(f.rule, _STYLE.get(f.severity.value, "")),
                                       severity, printable(f.address or "")) if part)
    lines = wrap(head, width, indent, indent + "    ")
    message = f.message
    if _ is not english and f.rule in RULES:  # the message is English: its rule's title says it first
        message = _("{title}: {message}").format(title=_(RULES[f.rule].title), message=message)
    lines += wrap(printable(message), width, indent + "    ", indent + "    ")
    if command == "fix" and (f.strategy or f.reason):
        lines += wrap("→ " + printable(_decision(f)), width, indent + "    ", indent + "      ")
    return lines


def _batches(result: Result, width: int, _: Translate = english) -> list[str]:
    if not result.batches:
        return []
    out = wrap(_("Migration batches (at most 50 keys and 50 secrets each, secrets with or after their key):"),
                width, "", "  ")
    for b in result.batches:
        where = f"{b.root}, {b.region}" if b.root and b.root != "." else b.region
        line = _("{where} batch {number}: {keys} key(s), {secrets} secret(s)").format(
            where=where, number=b.number, keys=len(b.keys), secrets=len(b.secrets))
        out += wrap(line, width, "  ", "    ")
        if result.options.get("batches"):
            for address in b.keys + b.secrets:
                out += wrap(address, width, "    ", "      ")
    return [*out, ""]


def printable(text: str) -> str:
    """A control character from a hostile value (state, API) never reaches the terminal raw."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """Wrapped to `width` (colour codes do not count); long words (paths, addresses) break too."""
    visible = _Painter.strip(text)
    if len(first) + _columns(visible) <= width:
        return [first + text]
    if any(_wide(c) for c in visible):
        return _wrap_wide(visible, width, first, rest)
    return textwrap.wrap(visible, width=width, initial_indent=first, subsequent_indent=rest,
                         break_long_words=True, break_on_hyphens=False) or [first]


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")  # two columns on a terminal


def _columns(text: str) -> int:
    return sum(2 if _wide(c) else 1 for c in text)


def _wrap_wide(text: str, width: int, first: str, rest: str) -> list[str]:
    """Chinese has no spaces to break at, and each of its characters takes two columns: lines are
    filled by columns, breaking at spaces or between wide characters (a word too long breaks too)."""
    lines: list[str] = []
    line, gap = first, ""
    for token in _tokens(text):
        if token.isspace():
            gap = token if line.strip() else ""  # kept as written ("  " between columns), dropped at a break
            continue
        if _columns(line) + len(gap) + _columns(token) <= width:
            line, gap = line + gap + token, ""
            continue
        gap = ""
        if line.strip():
            lines.append(line)
            line = rest
        while _columns(line) + _columns(token) > width and len(token) > 1:  # a word wider than a line
            room = max(1, width - _columns(line))
            lines.append(line + token[:room])
            line, token = rest, token[room:]
        line += token
    if line.strip():
        lines.append(line)
    return lines or [first]


def _tokens(text: str) -> list[str]:
    """Words of narrow characters, single wide characters, and runs of spaces."""
    out: list[str] = []
    for char in text:
        kind = "space" if char.isspace() else "wide" if _wide(char) else "narrow"
        if out and kind != "wide" and (out[-1].isspace() if kind == "space" else
                                       not out[-1].isspace() and not _wide(out[-1][-1])):
            out[-1] += char
        else:
            out.append(char)
    return out


def _severity(f: Finding, _: Translate = english) -> str:
    level = _(f.severity.value)
    if f.suppressed:
        return _("{severity} (suppressed: {reason})").format(severity=level, reason=f.suppressed)
    if f.resolved:
        return _("{severity}, fixed").format(severity=level)
    return level


def _location(f: Finding) -> str:
    if f.file is None:
        return ""
    return f"{f.file}:{f.line}" if f.line else f.file


def _decision(f: Finding) -> str:
    if f.strategy:
        return f"{f.strategy}: {f.reason}" if f.reason else f.strategy
    return f.reason or ""


def _keep_together(part: str) -> str:
    """Spaces inside one count ("0 file(s) to change") do not break when the line wraps."""
    return part.replace(" ", "\u00a0")


def _summary_parts(result: Result, _: Translate) -> tuple[str, list[str]]:
    s = result.summary()
    parts = [_("{count} KMS resource(s)").format(count=s["resources"]), _("{count} error(s)").format(count=s["error"]),
             _("{count} warning(s)").format(count=s["warning"]), _("{count} info").format(count=s["info"])]
    if s["suppressed"]:
        parts.append(_("{count} suppressed").format(count=s["suppressed"]))
    if s["resolved"]:
        parts.append(_("{count} fixed").format(count=s["resolved"]))
    if result.command == "fix":
        written = sum(1 for p in result.patches if p.written)
        parts.append(_("{count} file(s) written").format(count=written) if written
                     else _("{count} file(s) to change").format(count=len(result.patches)))
    if result.problems:
        parts.append(_("{count} input error(s)").format(count=len(result.problems)))
    status = {0: "ready", 1: "failed", 2: "action needed"}[int(result.exit_status())]
    if result.command == "fix":
        status = {0: "nothing to do", 1: "failed", 2: "action needed"}[int(result.exit_status())]
    return _(status), parts


def summary_line(result: Result, _: Translate = english) -> str:
    status, parts = _summary_parts(result, _)
    return _("tfkms {command}: {status}: {parts}").format(command=result.command, status=status,
                                                           parts=_(", ").join(parts))


def _summary_for_wrapping(result: Result, _: Translate = english) -> str:
    status, parts = _summary_parts(result, _)
    return _("tfkms {command}: {status}: {parts}").format(
        command=result.command, status=status, parts=_(", ").join(_keep_together(p) for p in parts))




def verdict_line(result: Result, _: Translate = english) -> str:
    """The last line: what happens next, and what to do about it."""
    status = result.exit_status()
    pending = [f for f in result.findings if f.needs_action]
    at_risk = sorted({f.address or "" for f in pending if f.rule in DESTRUCTIVE_RULES})
    humans = [f for f in pending if f.rule == "TFKMS204"]
    if result.problems and status is ExitStatus.ERROR:
        return _("fix the {count} input error(s) above and run again; nothing was judged or written for the "
                 "files they name").format(count=len(result.problems))
    if result.command == "fix":
        written = [p for p in result.patches if p.written]
        left = len(result.pending_patches)
        if written:
            rest = (_("nothing left to do") if status is ExitStatus.OK else
                    _("{count} finding(s) need a human (TFKMS204)").format(count=len(humans)) if humans else
                    _("{count} finding(s) still need action").format(count=len(pending)))
            return _("patched {count} file(s); {rest}").format(count=len(written), rest=rest)
        if left:
            risk = (_("{count} KMS resource(s) would be replaced or destroyed by the next plan; ").format(
                count=len(at_risk)) if at_risk else "")
            return _("{risk}run with --write to patch {count} file(s)").format(risk=risk, count=left)
        if humans:
            return _("{count} finding(s) need a human (TFKMS204): the messages say what to change").format(
                count=len(humans))
        return _("nothing to do: the next plan destroys no KMS resource tfkms can see")
    if result.command in ("guard", "verify"):
        return (_("do not apply: the plan destroys KMS resources (run tfkms fix, then plan again)")
                if status is not ExitStatus.OK else _("safe to apply: the plan destroys no KMS key or secret"))
    if result.command == "check":
        return _check_verdict(result, pending, _)
    if status is ExitStatus.OK:
        return _("clean: no drift")
    return _("{count} finding(s) need action").format(count=len(pending))


def _check_verdict(result: Result, pending: list[Finding], _: Translate = english) -> str:
    progress = result.options.get("migration")
    counts: dict[str, int] = progress if isinstance(progress, dict) else {}
    judged, migrated = counts.get("judged", 0), counts.get("migrated", 0)
    if judged and migrated == judged:
        return _("all {count} KMS keys and secrets are migrated: run tfkms fix with the post-migration "
                 "state").format(count=judged)
    done = _(" ({count} already migrated: run tfkms fix for them)").format(count=migrated) if migrated else ""
    if not pending:
        return _("ready: nothing blocks the migration{done}").format(done=done)
    return _("{count} finding(s) need action before the migration{done}").format(count=len(pending), done=done)


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, style: str) -> str:
        return f"\x1b[{style}m{text}\x1b[0m" if self.color and style else text

    @staticmethod
    def strip(text: str) -> str:
        return _SGR.sub("", text)
