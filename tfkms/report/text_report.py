"""`--format text`: what a person reads at a terminal, as compact as tflint or ruff.

One finding per line (`main.tf:16  TFKMS201  alicloud_kms_key.signing  message`), the decision
below it, grouped by root when there are several; each rule's hint once, in a footer; the diff
first; the verdict last (what happens, and what to do). Width-aware: no line is wider than the
terminal. Colour only when asked (a terminal without NO_COLOR).
"""
from __future__ import annotations

import re
import textwrap

from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import RULES
from tfkms.status import ExitStatus

_STYLE = {"error": "1;31", "warning": "33", "info": "36"}  # SGR codes
_DIFF_STYLE = {"+": "32", "-": "31", "@": "36"}
_SGR = re.compile(r"\x1b\[[0-9;]*m")  # the colour codes _Painter writes: no width on screen
DEFAULT_WIDTH = 100
MIN_WIDTH = 40


def render(result: Result, color: bool = False, width: int | None = None, show_problems: bool = True) -> str:
    """`show_problems`: list input problems here too (off when the command prints them on stderr)."""
    width = max(MIN_WIDTH, width or DEFAULT_WIDTH)
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
            out += _finding_lines(finding, result.command, indent, width, paint)
    if shown:
        out.append("")
    out += _batches(result, width)
    hints = sorted({(f.rule, f.hint or (RULES[f.rule].help if f.rule in RULES else "")) for f in shown
                    if f.needs_action})
    if hints:
        out.append(paint("hints:", "1"))
        for rule, hint in hints:
            if hint:
                out += _wrap(f"{rule}  {_printable(hint)}", width, "  ", "            ")
        out.append("")
    if show_problems:
        for problem in result.problems:
            out += _wrap(paint("error: ", "1;31") + _printable(problem.render()), width, "", "  ")
    out += [line.replace("\u00a0", " ") for line in _wrap(_summary_for_wrapping(result), width, "", "  ")]
    out += _wrap(verdict_line(result), width, "", "  ")
    return "\n".join(out) + "\n"


def _finding_lines(f: Finding, command: str, indent: str, width: int, paint: _Painter) -> list[str]:
    severity = _printable(_severity(f))
    head = "  ".join(part for part in (_printable(_location(f)), paint(f.rule, _STYLE.get(f.severity.value, "")),
                                       severity, _printable(f.address or "")) if part)
    lines = _wrap(head, width, indent, indent + "    ")
    lines += _wrap(_printable(f.message), width, indent + "    ", indent + "    ")
    if command == "fix" and (f.strategy or f.reason):
        lines += _wrap("→ " + _printable(_decision(f)), width, indent + "    ", indent + "      ")
    return lines


def _batches(result: Result, width: int) -> list[str]:
    if not result.batches:
        return []
    out = ["Migration batches (at most 50 keys and 50 secrets each, secrets with or after their key):"]
    for b in result.batches:
        where = f"{b.root}, {b.region}" if b.root and b.root != "." else b.region
        out += _wrap(f"{where} batch {b.number}: {len(b.keys)} key(s), {len(b.secrets)} secret(s)", width, "  ", "    ")
        if result.options.get("batches"):
            for address in b.keys + b.secrets:
                out += _wrap(address, width, "    ", "      ")
    return [*out, ""]


def _printable(text: str) -> str:
    """A control character from a hostile value (state, API) never reaches the terminal raw."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """Wrapped to `width` (colour codes do not count); long words (paths, addresses) break too."""
    visible = _Painter.strip(text)
    if len(first) + len(visible) <= width:
        return [first + text]
    return textwrap.wrap(visible, width=width, initial_indent=first, subsequent_indent=rest,
                         break_long_words=True, break_on_hyphens=False) or [first]


def _severity(f: Finding) -> str:
    if f.suppressed:
        return f"{f.severity.value} (suppressed: {f.suppressed})"
    if f.resolved:
        return f"{f.severity.value}, fixed"
    return f.severity.value


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


def summary_line(result: Result) -> str:
    s = result.summary()
    parts = [f"{s['resources']} KMS resource(s)", f"{s['error']} error(s)", f"{s['warning']} warning(s)",
             f"{s['info']} info"]
    if s["suppressed"]:
        parts.append(f"{s['suppressed']} suppressed")
    if s["resolved"]:
        parts.append(f"{s['resolved']} fixed")
    if result.command == "fix":
        written = sum(1 for p in result.patches if p.written)
        parts.append(f"{written} file(s) written" if written else f"{len(result.patches)} file(s) to change")
    if result.problems:
        parts.append(f"{len(result.problems)} input error(s)")
    status = {0: "ready", 1: "failed", 2: "action needed"}[int(result.exit_status())]
    if result.command == "fix":
        status = {0: "nothing to do", 1: "failed", 2: "action needed"}[int(result.exit_status())]
    return f"tfkms {result.command}: {status}: " + ", ".join(parts)


def _summary_for_wrapping(result: Result) -> str:
    head, _, counts = summary_line(result).partition(": ")
    status, _, parts = counts.partition(": ")
    return f"{head}: {status}: " + ", ".join(_keep_together(p) for p in parts.split(", "))


# Rules whose finding means the next plan destroys or replaces the resource.
DESTRUCTIVE_RULES = frozenset({"TFKMS200", "TFKMS201", "TFKMS202", "TFKMS203", "TFKMS209", "TFKMS300"})


def verdict_line(result: Result) -> str:
    """The last line: what happens next, and what to do about it."""
    status = result.exit_status()
    pending = [f for f in result.findings if f.needs_action]
    at_risk = sorted({f.address or "" for f in pending if f.rule in DESTRUCTIVE_RULES})
    humans = [f for f in pending if f.rule == "TFKMS204"]
    if result.problems and status is ExitStatus.ERROR:
        return (f"fix the {len(result.problems)} input error(s) above and run again; "
                "nothing was judged or written for the files they name")
    if result.command == "fix":
        written = [p for p in result.patches if p.written]
        left = len(result.pending_patches)
        if written:
            rest = ("nothing left to do" if status is ExitStatus.OK else
                    f"{len(humans)} finding(s) need a human (TFKMS204)" if humans else
                    f"{len(pending)} finding(s) still need action")
            return f"patched {len(written)} file(s); {rest}"
        if left:
            risk = (f"{len(at_risk)} KMS resource(s) would be replaced or destroyed by the next plan; "
                    if at_risk else "")
            return f"{risk}run with --write to patch {left} file(s)"
        if humans:
            return f"{len(humans)} finding(s) need a human (TFKMS204): the messages say what to change"
        return "nothing to do: the next plan destroys no KMS resource tfkms can see"
    if result.command in ("guard", "verify"):
        return ("do not apply: the plan destroys KMS resources (run tfkms fix, then plan again)"
                if status is not ExitStatus.OK else "safe to apply: the plan destroys no KMS key or secret")
    if result.command == "check":
        return _check_verdict(result, pending)
    if status is ExitStatus.OK:
        return "clean: no drift"
    return f"{len(pending)} finding(s) need action"


def _check_verdict(result: Result, pending: list[Finding]) -> str:
    progress = result.options.get("migration")
    counts: dict[str, int] = progress if isinstance(progress, dict) else {}
    judged, migrated = counts.get("judged", 0), counts.get("migrated", 0)
    if judged and migrated == judged:
        return f"all {judged} KMS keys and secrets are migrated: run tfkms fix with the post-migration state"
    done = f" ({migrated} already migrated: run tfkms fix for them)" if migrated else ""
    if not pending:
        return f"ready: nothing blocks the migration{done}"
    return f"{len(pending)} finding(s) need action before the migration{done}"


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, style: str) -> str:
        return f"\x1b[{style}m{text}\x1b[0m" if self.color and style else text

    @staticmethod
    def strip(text: str) -> str:
        return _SGR.sub("", text)
