"""atheris harness: the configuration loader on arbitrary bytes.

Contract: `decode` + `parse_source` either return a SourceFile or raise
`tfkms.errors.InputFileError`; anything else (and a hang, via -timeout) is a bug.

    pip install atheris
    PYTHONPATH=. python fuzz/fuzz_parse.py fuzz/corpus/parse -max_total_time=600 -timeout=20

The seed corpus is built from the repository's fixtures on the first run (see README.md).
"""
from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from tfkms.config.files import decode, parse_source
    from tfkms.errors import InputFileError

NAMES = ("main.tf", "main.tf.json", "terraform.tfvars", ".terraform.lock.hcl")


def test_one_input(data: bytes) -> None:
    if not data:
        return
    name = NAMES[data[0] % len(NAMES)]
    body = data[1:]
    try:
        parse_source(Path(name), name, decode(body, name))
    except InputFileError as exc:
        problem = exc.problem
        assert problem.file == name, problem
        assert problem.line is None or problem.line >= 1, problem


def main() -> None:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
