"""Line diffs computed on the changed middle of a big file (tfkms.patch.line_diff, issue 18).

The unified diff and the opcodes must describe the whole files exactly (applying them to the
old lines gives the new ones, hunk line numbers included), be difflib's own below the size where
trimming starts, and stay right on a 166,000-line file with one inserted line (which difflib
alone took 3.5 s to diff).
"""
from __future__ import annotations

import difflib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfkms.patch import line_diff
from tfkms.patch.line_diff import opcodes, unified_lines

_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _apply(old: list[str], diff: list[str]) -> list[str]:
    """The new lines, from the old ones and a unified diff."""
    out: list[str] = []
    at, k, body = 0, 0, diff[2:]
    while k < len(body):
        hunk = _HUNK.match(body[k])
        assert hunk is not None, body[k]
        k += 1
        length = int(hunk.group(2)) if hunk.group(2) is not None else 1
        start = int(hunk.group(1)) - 1 if length else int(hunk.group(1))
        out += old[at:start]
        at = start
        while k < len(body) and not body[k].startswith("@@"):
            mark, text = body[k][0], body[k][1:]
            k += 1
            if mark == " ":
                assert old[at] == text
                out.append(text)
                at += 1
            elif mark == "-":
                assert old[at] == text
                at += 1
            else:
                out.append(text)
    return out + old[at:]


@st.composite
def _edited(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    old = draw(st.lists(st.sampled_from(["}\n", "  a = 1\n", "\n", "x\n", "y\n"]), max_size=40))
    new = list(old)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(new)))
        what = draw(st.sampled_from(["insert", "delete", "replace"]))
        if what == "insert":
            new.insert(at, draw(st.sampled_from(["  b = 2\n", "}\n", "\n"])))
        elif at < len(new):
            new[at:at + 1] = [] if what == "delete" else ["  c = 3\n"]
    return old, new


@pytest.fixture
def trim_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(line_diff, "TRIM_FROM_LINES", 0)  # trim even small files (set once: no state between examples)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_edited())
def test_trimmed_diffs_describe_the_whole_files(trim_everything: None, case: tuple[list[str], list[str]]) -> None:
    old, new = case
    diff = unified_lines(old, new, "a/f", "b/f")
    assert (diff == []) == (old == new)
    if diff:
        assert _apply(old, diff) == new
    rebuilt: list[str] = []
    for tag, i1, i2, j1, j2 in opcodes(old, new):
        assert (tag == "equal") == (old[i1:i2] == new[j1:j2] and i2 - i1 == j2 - j1)
        rebuilt += old[i1:i2] if tag == "equal" else new[j1:j2]
    assert rebuilt == new


@settings(max_examples=100, deadline=None)
@given(_edited())
def test_small_files_get_difflib_s_own_diff(case: tuple[list[str], list[str]]) -> None:
    old, new = case
    assert unified_lines(old, new, "a/f", "b/f") == list(difflib.unified_diff(old, new, "a/f", "b/f"))


def test_one_line_inserted_in_a_166000_line_file() -> None:
    old = [f'  cidr_block = "10.{i % 250}.0.0/16"\n' if i % 4 else "}\n" for i in range(166_000)]
    new = old[:150_001] + ['  dkms_instance_id = "kst-1"\n'] + old[150_001:]
    diff = unified_lines(old, new, "a/main.tf", "b/main.tf")
    assert diff[2] == "@@ -149999,6 +149999,7 @@\n"
    assert diff[3:] == [" " + line for line in old[149_998:150_001]] + ['+  dkms_instance_id = "kst-1"\n'] + [
        " " + line for line in old[150_001:150_004]]
    assert [op for op in opcodes(old, new) if op[0] != "equal"] == [("insert", 150_001, 150_001, 150_001, 150_002)]
