"""atheris harness: the state, plan and inventory readers on arbitrary bytes.

Contract: `load_state` / `load_inventory` return or raise `InputFileError`; `guard_plan` returns a
Result (its problems name the file). The canary secret planted in the seeds must never appear in
an error message or a rendered report.

    pip install atheris
    PYTHONPATH=. python fuzz/fuzz_state.py fuzz/corpus/state -max_total_time=600 -timeout=20
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from tfkms.analysis.guard import guard_plan
    from tfkms.errors import InputFileError
    from tfkms.report import render
    from tfkms.truth.inventory import load_inventory
    from tfkms.truth.state import load_state

CANARY = "CANARY-s3cr3t-7f3a9"
_TMP = Path(tempfile.mkdtemp(prefix="tfkms-fuzz-"))


def test_one_input(data: bytes) -> None:
    if not data:
        return
    kind, body = data[0] % 3, data[1:]
    path = _TMP / "input.json"
    path.write_bytes(body)
    if kind == 0:
        try:
            state = load_state(path, "input.json")
        except InputFileError as exc:
            assert CANARY not in exc.problem.render()
            return
        for inst in state.instances.values():
            assert CANARY not in repr(inst.attributes)
    elif kind == 1:
        result = guard_plan(path, "input.json")
        for problem in result.problems:
            assert problem.file == "input.json"
        for fmt in ("text", "json", "sarif"):
            assert CANARY not in render(result, fmt)
    else:
        try:
            load_inventory(path)
        except InputFileError as exc:
            assert CANARY not in exc.problem.render()


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    try:
        atheris.Fuzz()
    finally:
        for leftover in _TMP.iterdir():
            os.unlink(leftover)
        _TMP.rmdir()


if __name__ == "__main__":
    main()
