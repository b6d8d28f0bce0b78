"""`python -m tfkms.emulator --inventory FILE ...`: the `tfkms emulator` command, standalone."""

import typer

from tfkms.commands.emulator import emulator

if __name__ == "__main__":
    typer.run(emulator)
