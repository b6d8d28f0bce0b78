"""How a command fails: one line on stderr and exit 1 (130 when interrupted), never a traceback."""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import typer

from tfkms.errors import TfkmsError
from tfkms.status import ExitStatus

P = ParamSpec("P")
T = TypeVar("T")


def fail(message: str) -> NoReturn:
    typer.echo(f"tfkms: error: {message}", err=True)
    raise typer.Exit(int(ExitStatus.ERROR))


def exit_with(status: ExitStatus) -> NoReturn:
    raise typer.Exit(int(status))


def call_service(service: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run one service; user errors and bugs alike end as one line (a bug must not dump secrets)."""
    try:
        return service(*args, **kwargs)
    except TfkmsError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        typer.echo("tfkms: interrupted", err=True)
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - see the docstring
        if os.environ.get("TFKMS_DEBUG"):
            raise
        fail(f"internal error ({type(exc).__name__}); rerun with TFKMS_DEBUG=1 and report it")
