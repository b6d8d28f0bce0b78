"""How a command fails: one line on stderr and exit 1 (128+n when interrupted by signal n: 130 for
Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), never a traceback."""
from __future__ import annotations

import os
import signal
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
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Terminated) else int(signal.SIGINT)
        typer.echo("tfkms: interrupted" if signum == signal.SIGINT else f"tfkms: {_signal_name(signum)}: stopped",
                   err=True)
        raise typer.Exit(128 + signum) from None
    except Exception as exc:  # noqa: BLE001 - see the docstring
        if os.environ.get("TFKMS_DEBUG"):
            raise
        fail(f"internal error ({type(exc).__name__}); rerun with TFKMS_DEBUG=1 and report it")


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread like Ctrl-C: every `finally` runs (parse workers
    are stopped, temporary files removed) and the command ends with one line."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def handle_termination() -> None:
    """SIGTERM and SIGHUP end tfkms like SIGINT. A second one while cleaning up ends it at once
    (parse workers die with their parent by themselves)."""
    def stop(signum: int, _frame: object) -> None:
        for name in _TERMINATING:
            signal.signal(getattr(signal, name), _exit_now)
        raise Terminated(signum)

    import threading

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        return
    for name in _TERMINATING:
        signal.signal(getattr(signal, name), stop)


_TERMINATING = tuple(name for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _exit_now(signum: int, _frame: object) -> None:
    os._exit(128 + signum)
