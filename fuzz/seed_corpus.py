"""Build the seed corpora for the atheris harnesses from the repository's fixtures.

    PYTHONPATH=. python fuzz/seed_corpus.py      # writes fuzz/corpus/parse and fuzz/corpus/state
"""
from __future__ import annotations

import hashlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "corpus"
# The first byte picks the file name (fuzz_parse.NAMES).
PARSE_PREFIX = {".tf": 0, ".json": 1, ".tfvars": 2, ".hcl": 3}


def _write(folder: Path, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main() -> None:
    configs = [*(REPO / "fixtures" / "terraform").rglob("*"), *(REPO / "tests" / "golden").rglob("input/**/*")]
    for path in sorted(configs):
        if path.is_file() and path.suffix in PARSE_PREFIX:
            _write(OUT / "parse", bytes([PARSE_PREFIX[path.suffix]]) + path.read_bytes())
    golden = REPO / "tests" / "golden" / "fix"
    states = [*golden.glob("*/state.tfstate"), *golden.glob("*/show.json")]
    for path in states:
        _write(OUT / "state", b"\x00" + path.read_bytes())
    for path in (REPO / "fixtures" / "plans").glob("*.json"):
        _write(OUT / "state", b"\x01" + path.read_bytes())
    _write(OUT / "state", b"\x02" + (REPO / "fixtures" / "inventory" / "demo.json").read_bytes())
    print(f"seeds in {OUT}")


if __name__ == "__main__":
    main()
