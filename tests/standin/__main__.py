"""Plan one tree by hand with the stand-in provider:

    PYTHONPATH=tests python -m standin DIR --state FILE [--var-file F] [--provider-version V]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from standin import Terraform


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m standin", description=__doc__.splitlines()[0])
    parser.add_argument("config_dir", type=Path)
    parser.add_argument("--state", type=Path)
    parser.add_argument("--var-file", type=Path, action="append", default=[])
    parser.add_argument("--provider-version")
    args = parser.parse_args()
    judge = Terraform.start(Path(tempfile.mkdtemp(prefix="standin-")))
    result = judge.plan(args.config_dir, args.state, args.provider_version, var_files=args.var_file)
    print(result.describe())
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
